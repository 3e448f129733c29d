// Ships logs to a Loki push endpoint with a real Loki transport for the collector's tests.
//   node loki.js winston-loki|pino-loki BASE_URL
// winston-loki sends snappy-compressed protobuf (no Content-Encoding header); pino-loki sends JSON.
'use strict'
const [which, url] = process.argv.slice(2)

async function main () {
  if (which === 'winston-loki') {
    const winston = require('winston')
    const LokiTransport = require('winston-loki')
    const transport = new LokiTransport({
      host: url,
      labels: { app: 'checkout', env: 'test' },
      batching: false,
      format: winston.format.json(),
      onConnectionError: (e) => { console.error('loki error', e); process.exitCode = 1 },
    })
    const log = winston.createLogger({ level: 'debug', transports: [transport] })
    log.info('plain winston line', { order_id: 'o-1', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' })
    log.warn('second winston line')
    log.error('third winston line', { labels: { team: 'payments' } })
    await transport.flush()
    await new Promise((resolve) => setTimeout(resolve, 500))
    await transport.close()
  } else if (which === 'pino-loki') {
    const pino = require('pino')
    const transport = pino.transport({
      target: 'pino-loki',
      options: { host: url, batching: false, labels: { app: 'catalog' }, structuredMetaKey: 'meta' },
    })
    const log = pino({ level: 'debug', name: 'catalog' }, transport)
    log.info({ meta: { request_id: 'r-1' }, sku: 'A-7' }, 'pino loki line')
    log.error({ err: new Error('out of stock') }, 'pino loki error')
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await new Promise((resolve) => transport.end(resolve))
  } else {
    throw new Error(`unknown client ${which}`)
  }
}
main().catch((e) => { console.error(e); process.exit(1) })
