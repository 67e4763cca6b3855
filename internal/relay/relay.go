// Package relay lets interactive input and Stop reach a run from any
// replica. The replica that runs a program records it in Redis and listens
// on its own channel; a replica that receives input for a run it doesn't
// hold looks the run up and publishes the input to the holder. A
// round-robin load balancer then needs no sticky sessions.
package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/runblock/runblock/internal/apperr"
)

// Local applies input and cancellation to runs held by this replica.
type Local interface {
	Input(id, owner string, data []byte, eof bool) error
	Cancel(id, owner string) error
}

// Redis is the relay. Safe for concurrent use.
type Redis struct {
	c       redis.UniversalClient
	replica string
	local   Local
	log     *slog.Logger
	ttl     time.Duration
}

type message struct {
	Op    string `json:"op"` // input | cancel
	ID    string `json:"id"`
	Owner string `json:"owner"`
	Data  []byte `json:"data,omitempty"`
	EOF   bool   `json:"eof,omitempty"`
	// Reply names the list the holder pushes its answer to. Without it a
	// sender could only say "published", and input the holder refuses
	// (stdin closed, a run with fixed stdin, too much pending) would be
	// accepted by one replica while the holder's own answer is 409.
	Reply string `json:"reply,omitempty"`
}

// answer is the holder's verdict on a message; an empty Code means applied.
type answer struct {
	Kind    apperr.Kind `json:"kind,omitempty"`
	Code    string      `json:"code,omitempty"`
	Message string      `json:"message,omitempty"`
}

// replyWait bounds how long a sender waits for the holder's answer; the
// holder answers in a round trip, so only a holder that can't answer (one
// that predates replies, or is dying) makes it wait this long.
const replyWait = 2 * time.Second

// New returns a relay for this replica; call Run to start receiving.
func New(c redis.UniversalClient, local Local, log *slog.Logger) *Redis {
	var b [8]byte
	_, _ = rand.Read(b[:])
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Redis{c: c, replica: hex.EncodeToString(b[:]), local: local, log: log, ttl: 10 * time.Minute}
}

func runKey(id string) string       { return "runblock:run:" + id }
func channel(replica string) string { return "runblock:relay:" + replica }

// Run receives messages for this replica until ctx ends. ready is closed
// once the subscription is active.
func (r *Redis) Run(ctx context.Context, ready chan<- struct{}) error {
	sub := r.c.Subscribe(ctx, channel(r.replica))
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		return fmt.Errorf("relay: subscribe: %w", err)
	}
	if ready != nil {
		close(ready)
	}
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-ch:
			if !ok {
				return nil
			}
			var msg message
			if err := json.Unmarshal([]byte(m.Payload), &msg); err != nil {
				r.log.Warn("relay: bad message", "err", err)
				continue
			}
			var err error
			if msg.Op == "cancel" {
				err = r.local.Cancel(msg.ID, msg.Owner)
			} else {
				err = r.local.Input(msg.ID, msg.Owner, msg.Data, msg.EOF)
			}
			if err != nil {
				r.log.Info("relay: message not applied", "op", msg.Op, "id", msg.ID, "err", err)
			}
			if msg.Reply != "" {
				r.answer(ctx, msg.Reply, err)
			}
		}
	}
}

// answer pushes the outcome of a message to the sender's reply list.
func (r *Redis) answer(ctx context.Context, key string, err error) {
	var a answer
	if err != nil {
		a = answer{Kind: apperr.Internal, Code: "internal", Message: "internal error"}
		var e *apperr.Error
		if errors.As(err, &e) {
			a = answer{Kind: e.Kind, Code: e.Code, Message: e.Message}
		}
	}
	payload, _ := json.Marshal(a)
	pipe := r.c.TxPipeline()
	pipe.RPush(ctx, key, payload)
	pipe.Expire(ctx, key, replyWait+10*time.Second) // unread when the sender gave up
	if _, err := pipe.Exec(ctx); err != nil {
		r.log.Warn("relay: can't answer", "key", key, "err", err)
	}
}

// Register records that this replica holds run id of owner.
func (r *Redis) Register(ctx context.Context, id, owner string) error {
	return r.c.Set(ctx, runKey(id), "live|"+r.replica+"|"+owner, r.ttl).Err()
}

// Unregister records that the run finished (late input then gets 409).
func (r *Redis) Unregister(ctx context.Context, id, owner string) error {
	return r.c.Set(ctx, runKey(id), "done|"+r.replica+"|"+owner, r.ttl).Err()
}

// Input forwards input to the replica holding run id.
func (r *Redis) Input(ctx context.Context, id, owner string, data []byte, eof bool) error {
	return r.send(ctx, message{Op: "input", ID: id, Owner: owner, Data: data, EOF: eof})
}

// Cancel forwards Stop to the replica holding run id.
func (r *Redis) Cancel(ctx context.Context, id, owner string) error {
	return r.send(ctx, message{Op: "cancel", ID: id, Owner: owner})
}

func (r *Redis) send(ctx context.Context, m message) error {
	v, err := r.c.Get(ctx, runKey(m.ID)).Result()
	if errors.Is(err, redis.Nil) {
		return notFound(m.ID)
	}
	if err != nil {
		return &apperr.Error{Kind: apperr.Busy, Code: "relay_unavailable", Message: "can't reach the replica running this execution", RetryAfter: time.Second, Err: err}
	}
	state, rest, _ := strings.Cut(v, "|")
	replica, owner, _ := strings.Cut(rest, "|")
	if owner != m.Owner {
		return notFound(m.ID) // never reveal someone else's run
	}
	if state != "live" {
		return apperr.New(apperr.Conflict, "execution_finished", "execution %q has already finished", m.ID)
	}
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	m.Reply = "runblock:reply:" + hex.EncodeToString(nonce[:])
	payload, _ := json.Marshal(m)
	n, err := r.c.Publish(ctx, channel(replica), payload).Result()
	if err != nil {
		return &apperr.Error{Kind: apperr.Busy, Code: "relay_unavailable", Message: "can't reach the replica running this execution", RetryAfter: time.Second, Err: err}
	}
	if n == 0 {
		return apperr.New(apperr.Conflict, "execution_finished", "execution %q is no longer running", m.ID)
	}
	res, err := r.c.BLPop(ctx, replyWait, m.Reply).Result()
	if errors.Is(err, redis.Nil) {
		// The holder received the message but said nothing: report it as
		// delivered rather than invite a retry that could repeat the input.
		r.log.Warn("relay: no answer from the replica holding the run", "op", m.Op, "id", m.ID, "replica", replica)
		return nil
	}
	if err != nil {
		return &apperr.Error{Kind: apperr.Busy, Code: "relay_unavailable", Message: "can't reach the replica running this execution", RetryAfter: time.Second, Err: err}
	}
	var a answer
	if len(res) != 2 || json.Unmarshal([]byte(res[1]), &a) != nil {
		return &apperr.Error{Kind: apperr.Internal, Code: "relay_failed", Message: "bad answer from the replica running this execution", Err: fmt.Errorf("relay: answer %q", res)}
	}
	if a.Code == "" {
		return nil
	}
	return &apperr.Error{Kind: a.Kind, Code: a.Code, Message: a.Message}
}

func notFound(id string) error {
	return apperr.New(apperr.NotFound, "execution_not_found", "no running execution %q", id)
}
