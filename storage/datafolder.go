package storage

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// CopyDataFolder copies the data folder src of a stopped service into dst (which must not hold
// those files yet), with each file's modification time, so that the copy starts as the original
// would (its clean-stop record matches, sparing the full page check). It leaves out the lock
// file, SQLite's shared-memory index (rebuilt at open) and the files skip names.
func CopyDataFolder(src, dst string, skip ...string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if name := d.Name(); name == LockFile || strings.HasSuffix(name, "-shm") || slices.Contains(skip, name) {
			return nil
		}
		return copyFile(p, target)
	})
}

// copyFile copies one file with its modification time.
func copyFile(from, to string) error {
	fi, err := os.Stat(from)
	if err != nil {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chtimes(to, fi.ModTime(), fi.ModTime())
}
