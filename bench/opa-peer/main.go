// opa-peer: the OPA side of residency-gate's benchmark (bench/run.ts). An Envoy ext_authz gRPC
// server (envoy.service.auth.v3.Authorization/Check) that decides with OPA's Go API and a Rego
// policy equivalent to residency-gate's same-region check: verify the bearer token (ES256) with
// io.jwt.decode_verify against the issuer's public keys, then compare its region claim with the
// route's context_extensions["residency.region"].
//
// OPA-Envoy's own plugin (github.com/open-policy-agent/opa-envoy-plugin) is not served by the Go
// module proxy this project can reach, so this is a stand-in built the way that plugin works:
// the CheckRequest goes through protojson into OPA's input (as the plugin does), one prepared
// query is evaluated per request, and every decision is written to a decision log file
// (asynchronously and buffered, as OPA's decision logger is; residency-gate's audit is fsync'd).
// Label it in every output as:
//
//	OPA (Go ext_authz on OPA v1.22.3 + go-control-plane; OPA-Envoy plugin not servable here)
//
// Usage: opa-peer -jwks FILE -issuer ISS -audience AUD [-listen 127.0.0.1:0] [-decision-log FILE]
// Prints "opa-peer serving <host:port>" on stdout once it accepts calls; SIGTERM/SIGINT stop it.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
)

// Label is printed with every result of this server.
const Label = "OPA (Go ext_authz on OPA v1.22.3 + go-control-plane; OPA-Envoy plugin not servable here)"

// The policy: what residency-gate decides for a same-region allow, in Rego.
const policy = `package envoy.authz

default allow := false

bearer := t if {
	h := input.attributes.request.http.headers.authorization
	startswith(h, "Bearer ")
	t := substring(h, 7, -1)
}

claims := payload if {
	[valid, _, payload] := io.jwt.decode_verify(bearer, {
		"cert": data.bench.jwks,
		"iss": data.bench.issuer,
		"aud": data.bench.audience,
	})
	valid
}

allow if {
	is_string(claims.region)
	claims.region == input.attributes.context_extensions["residency.region"]
}
`

type server struct {
	authv3.UnimplementedAuthorizationServer
	query     rego.PreparedEvalQuery
	log       *decisionLog
	idPrefix  string
	decisions atomic.Uint64
}

func (s *server) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	started := time.Now()
	// As OPA-Envoy does: the request as protojson (proto field names, so the policy reads
	// input.attributes.context_extensions), parsed into OPA's input value.
	bs, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(req)
	if err != nil {
		return nil, err
	}
	var input map[string]any
	if err := util.UnmarshalJSON(bs, &input); err != nil {
		return nil, err
	}
	if path := req.GetAttributes().GetRequest().GetHttp().GetPath(); path != "" {
		p := strings.SplitN(path, "?", 2)[0]
		parts := []any{}
		for _, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
			parts = append(parts, seg)
		}
		input["parsed_path"] = parts
	}
	value, err := ast.InterfaceToValue(input)
	if err != nil {
		return nil, err
	}
	rs, err := s.query.Eval(ctx, rego.EvalParsedInput(value))
	allowed := false
	if err == nil && len(rs) == 1 && len(rs[0].Expressions) == 1 {
		allowed, _ = rs[0].Expressions[0].Value.(bool)
	}
	n := s.decisions.Add(1)
	s.log.write(decisionEvent{
		DecisionID: fmt.Sprintf("%s-%d", s.idPrefix, n),
		Path:       "envoy/authz/allow",
		Input:      input,
		Result:     allowed,
		Error:      errString(err),
		Timestamp:  started.UTC().Format(time.RFC3339Nano),
		EvalNs:     time.Since(started).Nanoseconds(),
	})
	if allowed {
		return &authv3.CheckResponse{
			Status:       &rpcstatus.Status{Code: int32(codes.OK)},
			HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{}},
		}, nil
	}
	return &authv3.CheckResponse{
		Status: &rpcstatus.Status{Code: int32(codes.PermissionDenied)},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status:  &typev3.HttpStatus{Code: typev3.StatusCode_Forbidden},
			Headers: []*corev3.HeaderValueOption{{Header: &corev3.HeaderValue{Key: "content-type", Value: "application/json"}}},
			Body:    `{"code":"DENIED_BY_OPA"}`,
		}},
	}, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type decisionEvent struct {
	DecisionID string         `json:"decision_id"`
	Path       string         `json:"path"`
	Input      map[string]any `json:"input"`
	Result     bool           `json:"result"`
	Error      string         `json:"error,omitempty"`
	Timestamp  string         `json:"timestamp"`
	EvalNs     int64          `json:"eval_ns"`
}

// decisionLog writes one JSON line per decision from a goroutine through a buffer, flushed every
// 100 ms and on close; when the queue is full, events are dropped and counted (OPA's decision
// logger also drops when its buffer is full).
type decisionLog struct {
	events  chan decisionEvent
	dropped atomic.Uint64
	written atomic.Uint64
	done    chan struct{}
	once    sync.Once
}

func openDecisionLog(path string) (*decisionLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	l := &decisionLog{events: make(chan decisionEvent, 16384), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		w := bufio.NewWriterSize(f, 1<<20)
		enc := json.NewEncoder(w)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case ev, ok := <-l.events:
				if !ok {
					_ = w.Flush()
					_ = f.Close()
					return
				}
				if enc.Encode(ev) == nil {
					l.written.Add(1)
				}
			case <-tick.C:
				_ = w.Flush()
			}
		}
	}()
	return l, nil
}

func (l *decisionLog) write(ev decisionEvent) {
	select {
	case l.events <- ev:
	default:
		l.dropped.Add(1)
	}
}

func (l *decisionLog) close() {
	l.once.Do(func() { close(l.events) })
	<-l.done
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "gRPC listen address")
	jwksFile := flag.String("jwks", "", "JWKS file of the token issuer")
	issuer := flag.String("issuer", "", "expected iss")
	audience := flag.String("audience", "", "expected aud")
	logFile := flag.String("decision-log", os.DevNull, "decision log file (JSON lines)")
	flag.Parse()
	if *jwksFile == "" || *issuer == "" || *audience == "" {
		fmt.Fprintln(os.Stderr, "opa-peer: -jwks, -issuer and -audience are required")
		os.Exit(2)
	}
	jwks, err := os.ReadFile(*jwksFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "opa-peer: %v\n", err)
		os.Exit(1)
	}
	store := inmem.NewFromObject(map[string]any{"bench": map[string]any{"jwks": string(jwks), "issuer": *issuer, "audience": *audience}})
	query, err := rego.New(
		rego.Query("data.envoy.authz.allow"),
		rego.Module("policy.rego", policy),
		rego.Store(store),
	).PrepareForEval(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "opa-peer: policy: %v\n", err)
		os.Exit(1)
	}
	dlog, err := openDecisionLog(*logFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "opa-peer: decision log: %v\n", err)
		os.Exit(1)
	}
	random := make([]byte, 4)
	_, _ = rand.Read(random)
	srv := &server{query: query, log: dlog, idPrefix: hex.EncodeToString(random)}

	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "opa-peer: %v\n", err)
		os.Exit(1)
	}
	g := grpc.NewServer()
	authv3.RegisterAuthorizationServer(g, srv)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		g.GracefulStop()
	}()
	fmt.Printf("opa-peer serving %s (%s)\n", lis.Addr().String(), Label)
	if err := g.Serve(lis); err != nil {
		fmt.Fprintf(os.Stderr, "opa-peer: %v\n", err)
	}
	dlog.close()
	fmt.Fprintf(os.Stderr, "opa-peer: %d decisions, %d logged, %d dropped from the decision log\n", srv.decisions.Load(), dlog.written.Load(), dlog.dropped.Load())
}
