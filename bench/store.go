package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/runblock/runblock/internal/store"
	"github.com/runblock/runblock/internal/store/postgres"
	"github.com/runblock/runblock/internal/store/sqlite"
)

// storeRows: what recording one run costs (create "running", then finish),
// i.e. what history adds to every /execute.
func storeRows(ctx context.Context) ([]row, error) {
	dir, err := os.MkdirTemp("", "runblock-bench-store-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	lite, err := sqlite.New(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, err
	}
	defer lite.Close()
	rows := []row{}
	r, err := recordRow(ctx, "SQLite (WAL, file on disk)", lite, 1000)
	if err != nil {
		return nil, err
	}
	rows = append(rows, r)

	admin, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	name := fmt.Sprintf("runblock_bench_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer admin.ExecContext(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)")
	pg, err := postgres.New(ctx, "postgres://postgres@127.0.0.1:5432/"+name+"?sslmode=disable")
	if err != nil {
		return nil, err
	}
	defer pg.Close()
	r, err = recordRow(ctx, "Postgres (loopback)", pg, 1000)
	if err != nil {
		return nil, err
	}
	return append(rows, r), nil
}

func recordRow(ctx context.Context, name string, s store.Store, n int) (row, error) {
	lat, err := timeN(n, func() error {
		e := store.Execution{UserID: "bench", Language: "python", Environment: "server", Code: hello}
		if err := s.CreateExecution(ctx, &e); err != nil {
			return err
		}
		code := 0
		e.Status, e.ExitCode, e.Output, e.WallTime = store.StatusSuccess, &code, "Hello, World!\n", 20*time.Millisecond
		return s.FinishExecution(ctx, &e)
	})
	if err != nil {
		return row{}, err
	}
	return row{"recording one run in history, " + name, ms(percentile(lat, .5)), ms(percentile(lat, .95)), "create + finish"}, nil
}
