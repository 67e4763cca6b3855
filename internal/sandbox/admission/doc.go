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
// probe, tens of milliseconds). Each class has its own line (first come,
// first served within it) and its own per-user places. When a slot frees,
// a waiting check goes first, but the light class may hold at most LightMax
// slots (half): a check behind a hundred queued runs waits for one slot to
// free, not for the hundred, and a flood of checks can never hold more than
// half the slots, so runs keep moving. Nothing is reserved by default (an
// idle reserved slot costs a classroom a quarter of its runs on a 4-slot
// machine); LightReserved keeps slots from runs for operators who want
// checks to start at once even when every slot is busy.
package admission
