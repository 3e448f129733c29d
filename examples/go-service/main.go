// Command go-service is a small checkout service that observes itself the way many Go services do:
// logrus JSON logs, client_golang metrics on /metrics, and OpenTelemetry traces sent through the
// Jaeger exporter. It is otelhouse's end-to-end example; see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	log "github.com/sirupsen/logrus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/jaeger"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.7.0"
	"go.opentelemetry.io/otel/trace"
)

var (
	requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "HTTP requests by handler and status code.",
	}, []string{"handler", "status"})
	latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Help:    "HTTP request latency by handler.",
		Buckets: []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1},
	}, []string{"handler"})
	orders = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "orders_placed_total",
		Help: "Orders paid for and placed.",
	})
	orderSeq   int64
	tracer     trace.Tracer
	propagator = propagation.TraceContext{}
)

func getenv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// logger returns an entry carrying the request's trace and span ids, so a log line finds its trace.
func logger(ctx context.Context) *log.Entry {
	sc := trace.SpanContextFromContext(ctx)
	return log.WithFields(log.Fields{"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String()})
}

// observe wraps a handler with the request counter and the latency histogram.
func observe(name string, h func(http.ResponseWriter, *http.Request) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status := h(w, r)
		latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
		requests.WithLabelValues(name, strconv.Itoa(status)).Inc()
	}
}

// payment declines every fifth order, so the data holds errors too.
func payment(w http.ResponseWriter, r *http.Request) int {
	ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := tracer.Start(ctx, "payment", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	order, _ := strconv.Atoi(r.URL.Query().Get("order"))
	span.SetAttributes(attribute.Int("order.id", order))
	if order%5 == 0 {
		span.SetStatus(codes.Error, "card declined")
		logger(ctx).WithField("order", order).Warn("payment declined")
		w.WriteHeader(http.StatusPaymentRequired)
		return http.StatusPaymentRequired
	}
	logger(ctx).WithField("order", order).Info("payment accepted")
	return http.StatusOK
}

func checkout(self string) func(http.ResponseWriter, *http.Request) int {
	return func(w http.ResponseWriter, r *http.Request) int {
		ctx, span := tracer.Start(r.Context(), "checkout", trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		order := atomic.AddInt64(&orderSeq, 1)
		span.SetAttributes(attribute.Int64("order.id", order))
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/payment?order=%d", self, order), nil)
		propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = errors.New("payment answered " + resp.Status)
			}
		}
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
			logger(ctx).WithField("order", order).WithError(err).Error("checkout failed")
			w.WriteHeader(http.StatusBadGateway)
			return http.StatusBadGateway
		}
		orders.Inc()
		logger(ctx).WithField("order", order).Info("order placed")
		return http.StatusOK
	}
}

func main() {
	log.SetFormatter(&log.JSONFormatter{})
	var local io.Writer = os.Stdout
	if path := os.Getenv("LOG_FILE"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.WithError(err).Fatal("cannot open LOG_FILE")
		}
		defer f.Close()
		local = f
	}
	log.SetOutput(local)
	service := getenv("SERVICE_NAME", "checkout")
	// LOG_ENDPOINT (http://otelhouse:4318/v1/logs/json): ship the JSON lines there too
	var shipper *lineShipper
	if url := os.Getenv("LOG_ENDPOINT"); url != "" {
		shipper = newLineShipper(local, url, service)
		log.SetOutput(shipper)
	}
	listen := getenv("LISTEN", "127.0.0.1:8090")
	// the Jaeger exporter reads OTEL_EXPORTER_JAEGER_ENDPOINT (http://otelhouse:4318/api/traces)
	exporter, err := jaeger.New(jaeger.WithCollectorEndpoint())
	if err != nil {
		log.WithError(err).Fatal("cannot create the Jaeger exporter")
	}
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceNameKey.String(service))
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter, sdktrace.WithBatchTimeout(500*time.Millisecond)),
		sdktrace.WithResource(res),
	)
	otel.SetTracerProvider(provider)
	tracer = provider.Tracer("go-service")
	prometheus.MustRegister(requests, latency, orders)

	mux := http.NewServeMux()
	mux.Handle("/checkout", observe("checkout", checkout("http://"+listen)))
	mux.Handle("/payment", observe("payment", payment))
	mux.Handle("/metrics", promhttp.Handler())
	server := &http.Server{Addr: listen, Handler: mux}
	go func() {
		if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.WithError(err).Fatal("server failed")
		}
	}()
	log.WithField("listen", listen).Info("go-service started")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = server.Shutdown(ctx)
	// flush the spans still batched before exiting
	if err := provider.Shutdown(ctx); err != nil {
		log.WithError(err).Error("flushing spans failed")
	}
	log.Info("go-service stopped")
	if shipper != nil {
		shipper.Close() // sends the lines still waiting, this last one included
	}
}
