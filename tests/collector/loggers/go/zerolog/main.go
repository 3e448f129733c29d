// Writes zerolog JSON lines (epoch-millisecond times) for the collector's tests: every level, an
// error with a pkg/errors stack, Datadog-style decimal trace context and nested fields.
// Args: base time (unix ns), trace id, span id (hex); the ids are written as dd.trace_id / dd.span_id.
package main

import (
	"os"
	"strconv"
	"time"

	"github.com/pkg/errors"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/pkgerrors"
)

func main() {
	ns, _ := strconv.ParseInt(os.Args[1], 10, 64)
	traceLow, _ := strconv.ParseUint(os.Args[2][16:], 16, 64)
	span, _ := strconv.ParseUint(os.Args[3], 16, 64)
	base := time.Unix(0, ns)
	now := base
	zerolog.TimestampFunc = func() time.Time { return now }
	zerolog.TimeFieldFormat = zerolog.TimeFormatUnixMs
	zerolog.ErrorStackMarshaler = pkgerrors.MarshalStack
	zerolog.SetGlobalLevel(zerolog.TraceLevel)
	logger := zerolog.New(os.Stdout).With().Timestamp().Logger()
	at := func(i int) *zerolog.Logger { now = base.Add(time.Duration(i) * time.Second); return &logger }
	at(0).Trace().Msg("trace line")
	at(1).Debug().Msg("debug line")
	at(2).Info().Uint64("dd.trace_id", traceLow).Uint64("dd.span_id", span).
		Dict("user", zerolog.Dict().Int("id", 42).Strs("roles", []string{"admin", "dev"})).Msg("info line")
	at(3).Warn().Msg("warn line")
	at(4).Error().Stack().Err(errors.New("disk full")).Msg("error line")
	at(5).WithLevel(zerolog.FatalLevel).Msg("fatal line") // WithLevel does not exit, Fatal would
	at(6).WithLevel(zerolog.PanicLevel).Msg("panic line")
}
