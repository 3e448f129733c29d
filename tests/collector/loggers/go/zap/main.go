// Writes zap production JSON lines (NewProductionConfig) for the collector's tests: every level, an
// error with a stack, trace context and nested fields. Args: base time (unix ns), trace id, span id.
package main

import (
	"errors"
	"os"
	"strconv"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time                         { return c.t }
func (c *clock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

// noExit lets the program go on after Fatal (zap 1.23 turns WriteThenNoop back into an exit).
type noExit struct{}

func (noExit) OnWrite(*zapcore.CheckedEntry, []zapcore.Field) {}

func main() {
	ns, _ := strconv.ParseInt(os.Args[1], 10, 64)
	base := time.Unix(0, ns)
	c := &clock{base}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(zap.DebugLevel)
	cfg.OutputPaths = []string{"stdout"}
	cfg.Sampling = nil
	logger, err := cfg.Build(zap.WithClock(c), zap.WithFatalHook(noExit{}))
	if err != nil {
		panic(err)
	}
	logger = logger.Named("billing")
	at := func(i int) *zap.Logger { c.t = base.Add(time.Duration(i) * time.Second); return logger }
	at(0).Debug("debug line")
	at(1).Info("info line",
		zap.String("traceId", os.Args[2]),
		zap.String("spanId", os.Args[3]),
		zap.Any("user", map[string]interface{}{"id": 42, "roles": []string{"admin", "dev"}}))
	at(2).Warn("warn line")
	at(3).Error("error line", zap.Error(errors.New("disk full")))
	at(4).DPanic("dpanic line")
	func() {
		defer func() { _ = recover() }()
		at(5).Panic("panic line")
	}()
	at(6).Fatal("fatal line")
	_ = logger.Sync()
}
