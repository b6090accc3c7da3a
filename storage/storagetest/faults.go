package storagetest

import (
	"crypto/rand"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// MountTmpfs mounts a tmpfs of the given size (mount's syntax: "24m") on a new temporary folder
// and returns it, for a data folder whose disk a test can fill; it is unmounted when the test ends
// (after the cleanups registered later, such as the store's). It needs root, which CI has; without
// it the test is skipped.
func MountTmpfs(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs for the data folder (CI runs as root)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs on %s: %v %s", dir, err, out)
	}
	t.Cleanup(func() { Unmount(t, dir) })
	return dir
}

// Unmount unmounts a file system a test mounted on dir. A store closed a moment before may still
// hold its files while its last goroutines end ("target is busy"): it tries again for a few
// seconds, then detaches the mount lazily (the kernel finishes when the files are let go), so
// the temporary folder can be removed. Only a mount that cannot be detached at all is an error.
func Unmount(t testing.TB, dir string) {
	t.Helper()
	var out []byte
	var err error
	for range 50 {
		if out, err = exec.Command("umount", dir).CombinedOutput(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond) // the kernel, not the code under test: no clock to move
	}
	if lazy, lerr := exec.Command("umount", "-l", dir).CombinedOutput(); lerr != nil {
		t.Errorf("umount %s: %v %s; lazily: %v %s", dir, err, out, lerr, lazy)
	}
}

// DamagePages overwrites with garbage every 4 KB page of the database file that holds marker,
// keeping the file's modification time (as a disk fault would, so a clean stop's record still
// matches), and returns how many pages it damaged; none is a test failure.
func DamagePages(t testing.TB, file, marker string) int {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for off := 0; ; {
		i := strings.Index(string(data[off:]), marker)
		if i < 0 {
			break
		}
		page := int64(off+i) / 4096 * 4096
		junk := make([]byte, 4096)
		_, _ = rand.Read(junk)
		if _, err := f.WriteAt(junk, page); err != nil {
			t.Fatal(err)
		}
		pages++
		off = int(page) + 4096
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if pages == 0 {
		t.Fatalf("%s not in %s", marker, file)
	}
	if err := os.Chtimes(file, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	return pages
}
