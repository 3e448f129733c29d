// Writes JSON lines with a real Node logger for the collector's tests: every level, an error with a
// stack, trace context and nested fields.   node loggers.js pino|bunyan|winston TRACE_ID SPAN_ID
'use strict'
const [which, traceId, spanId] = process.argv.slice(2)
const ctx = { trace_id: traceId, span_id: spanId, user: { id: 42, roles: ['admin', 'dev'] } }
const err = new Error('disk full')

function emit (log) {
  log.trace('trace line')
  log.debug('debug line')
  log.info(ctx, 'info line')
  log.warn('warn line')
  log.error({ err }, 'error line')
  log.fatal('fatal line')
}

if (which === 'pino') {
  const pino = require('pino')
  emit(pino({ level: 'trace', name: 'billing' }, pino.destination({ dest: 1, sync: true })))
} else if (which === 'bunyan') {
  const bunyan = require('bunyan')
  emit(bunyan.createLogger({ name: 'billing', level: 'trace', serializers: bunyan.stdSerializers }))
} else if (which === 'winston') {
  const winston = require('winston')
  const { combine, timestamp, errors, json } = winston.format
  const log = winston.createLogger({
    level: 'silly',
    defaultMeta: { service: 'billing' },
    format: combine(errors({ stack: true }), timestamp(), json()),
    transports: [new winston.transports.Console()],
  })
  for (const level of ['silly', 'debug', 'verbose', 'http']) log.log(level, `${level} line`)
  log.info('info line', ctx)
  log.warn('warn line')
  log.error(err)
} else {
  throw new Error(`unknown logger ${which}`)
}
