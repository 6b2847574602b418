// A tiny HTTP server for interposer/bypass_libc_close: answers its instance
// name, one request per connection. libuv accepts with accept4() and closes
// with syscall(SYS_close).
const http = require('http');
const [port, id] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  res.setHeader('Connection', 'close');
  res.end(id + '\n');
});
server.listen({ port: Number(port), host: '127.0.0.1' }, () => {
  console.log('ready');
});
