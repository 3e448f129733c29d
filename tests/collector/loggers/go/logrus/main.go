// Writes logrus JSON lines (default JSONFormatter) for the collector's tests: every level, an error
// with a stack, trace context and nested fields. Args: base time (unix ns), trace id, span id (hex).
package main

import (
	"errors"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

func main() {
	ns, _ := strconv.ParseInt(os.Args[1], 10, 64)
	base := time.Unix(0, ns).UTC()
	log := logrus.New()
	log.SetOutput(os.Stdout)
	log.SetFormatter(&logrus.JSONFormatter{})
	log.SetLevel(logrus.TraceLevel)
	at := func(i int) *logrus.Entry { return log.WithTime(base.Add(time.Duration(i) * time.Second)) }
	at(0).Trace("trace line")
	at(1).Debug("debug line")
	at(2).WithFields(logrus.Fields{
		"trace_id": strings.ToUpper(os.Args[2]),
		"span_id":  os.Args[3],
		"user":     map[string]interface{}{"id": 42, "roles": []string{"admin", "dev"}},
	}).Info("info line")
	at(3).Warn("warn line")
	at(4).WithError(errors.New("disk full")).WithField("stack", string(debug.Stack())).Error("error line")
	at(5).Log(logrus.FatalLevel, "fatal line") // Log does not exit, Fatal would
	func() {
		defer func() { _ = recover() }()
		at(6).Panic("panic line")
	}()
}
