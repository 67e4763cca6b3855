package container

import (
	"context"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Sweep removes this owner's containers that no run of this process holds
// and that are older than minAge: at start-up (minAge 0), what a killed
// predecessor left; later, what a failed removal left. minAge spares a
// container created a moment ago whose run has not recorded it yet.
func (r *Runtime) Sweep(ctx context.Context, minAge time.Duration) error {
	list, err := r.api.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", LabelOwner+"="+r.cfg.Owner),
	})
	if err != nil {
		return r.engineErr("list", err)
	}
	for _, c := range list.Items {
		if _, ok := r.live.Load(c.ID); ok || time.Since(time.Unix(c.Created, 0)) < minAge {
			continue
		}
		if _, err := r.api.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			r.log.Warn("container: sweep", "id", c.ID, "err", err)
		}
	}
	return nil
}

func (r *Runtime) janitor(ctx context.Context) {
	t := time.NewTicker(r.cfg.JanitorEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.Sweep(ctx, time.Minute); err != nil && ctx.Err() == nil {
				r.log.Warn("container: janitor", "err", err)
			}
		}
	}
}
