// The ceiling for reads: a bare node:http(s) server that answers each path with exactly the bytes
// and headers the daemon answered it with, doing nothing else.
// argv: <responses.json> [<cert.pem> <key.pem>]
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

const [responsesPath, certPath, keyPath] = process.argv.slice(2);
const stored = JSON.parse(readFileSync(responsesPath, 'utf8'));
const answers = new Map(
  Object.entries(stored).map(([path, answer]) => [path, { headers: answer.headers, body: Buffer.from(answer.bodyBase64, 'base64') }]),
);

const handle = (req, res) => {
  const answer = answers.get(req.url);
  if (!answer) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, answer.headers);
  res.end(answer.body);
};
const server = certPath
  ? createHttpsServer({ cert: readFileSync(certPath), key: readFileSync(keyPath), minVersion: 'TLSv1.2' }, handle)
  : createHttpServer(handle);
// The daemon's (Fastify's) keep-alive timeout, so that the Keep-Alive header is the same too.
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
