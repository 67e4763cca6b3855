// Package admission decides which sandboxed work may start now and in what
// order the rest waits: a fair queue in front of the sandbox slots.
//
// Waiting is cheap (a goroutine and an open connection, no sandbox), so the
// queue holds hundreds and refuses only past that bound or when the wait
// would be longer than anyone should sit through; a refusal carries a
// Retry-After worked out from the measured drain rate, so a refused client
// comes back when the backlog ahead of it has gone instead of racing the
// others every two seconds.
//
// Fairness: first come, first served across users; each user may hold at
// most PerUserRunning running and PerUserWaiting waiting tickets of a class.
// A new ticket from a user whose waiting places are taken replaces that
// user's oldest waiting ticket and keeps its place in the line (pressing Run
// again runs the newer code, not both); the replaced caller gets ErrReplaced.
//
// Kinds: runs and compiles are the heavy class (learners' programs, seconds
// each); checks and probes are the light class (a static check or readiness
// probe, tens of milliseconds). Both classes wait in one line in arrival
// order, but each class has a cap on the slots it may hold: the heavy class
// leaves LightReserved slots to the light class (one when there are four or
// more slots), and the light class may hold at most LightMax slots (half).
// So a check behind a hundred queued runs starts as soon as a reserved slot
// is free, and a flood of checks can never hold more than half the slots.
// With fewer than four slots nothing is reserved (a slot is too precious to
// keep idle) and checks simply take their turn in the line; they are short.
package admission
