package admission

// Kind is what a ticket will do with its slot.
type Kind int

const (
	Run Kind = iota
	Compile
	Check
	Probe
)

func (k Kind) String() string {
	switch k {
	case Run:
		return "run"
	case Compile:
		return "compile"
	case Check:
		return "check"
	case Probe:
		return "probe"
	}
	return "unknown"
}

// class groups kinds that share caps, per-user limits and a drain rate.
type class int

const (
	heavy class = iota // run, compile
	light              // check, probe
	nClasses
)

func (k Kind) class() class {
	if k == Check || k == Probe {
		return light
	}
	return heavy
}

// Ticket asks for one slot. User "" is not subject to per-user limits
// (probes, internal work).
type Ticket struct {
	User string
	Kind Kind
}
