// Writes slog JSONHandler lines for the collector's tests, through golang.org/x/exp/slog (the
// predecessor of log/slog, which Debian's Go 1.19 lacks; same JSON layout): every level including
// offsets (WARN+2, DEBUG-4), an error, trace context and a group. Args: base time (unix ns), trace id, span id.
package main

import (
	"context"
	"errors"
	"os"
	"strconv"
	"time"

	"golang.org/x/exp/slog"
)

func main() {
	ns, _ := strconv.ParseInt(os.Args[1], 10, 64)
	base := time.Unix(0, ns)
	h := slog.HandlerOptions{Level: slog.DebugLevel - 4}.NewJSONHandler(os.Stdout)
	emit := func(i int, level slog.Level, msg string, attrs ...slog.Attr) {
		r := slog.NewRecord(base.Add(time.Duration(i)*time.Second), level, msg, 0, context.Background())
		r.AddAttrs(attrs...)
		if err := h.Handle(r); err != nil {
			panic(err)
		}
	}
	emit(0, slog.DebugLevel-4, "trace line")
	emit(1, slog.DebugLevel, "debug line")
	emit(2, slog.InfoLevel, "info line",
		slog.String("trace_id", os.Args[2]), slog.String("span_id", os.Args[3]),
		slog.Group("user", slog.Int("id", 42), slog.Any("roles", []string{"admin", "dev"})))
	emit(3, slog.WarnLevel, "warn line")
	emit(4, slog.WarnLevel+2, "warn+2 line")
	emit(5, slog.ErrorLevel, "error line", slog.Any("err", errors.New("disk full")))
	emit(6, slog.ErrorLevel+4, "error+4 line")
}
