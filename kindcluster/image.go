package kindcluster

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"
)

// Image is the one image a drill on kind runs: the canarydrill binary FROM scratch, which is the
// controller (canarydrill controller), the in-cluster fakeprom (canarydrill cluster fakeprom)
// and the demo service (canarydrill drill __pod).
const Image = "canarydrill:drill"

// binaryPath is where the binary sits in the image.
const binaryPath = "canarydrill"

// BuildImage writes the image as a docker-archive tarball (what `docker save` writes and kind's
// `load image-archive` and containerd's import read): one layer holding the binary, no base
// image, without a Docker daemon. The binary must be static (CGO_ENABLED=0): FROM scratch has
// no dynamic loader.
func BuildImage(binary, ref string) ([]byte, error) {
	arch, err := staticArch(binary)
	if err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	layer, err := tarOf(map[string][]byte{binaryPath: bin}, 0o755)
	if err != nil {
		return nil, err
	}
	layerDigest := sha256.Sum256(layer)
	config, err := json.Marshal(imageConfig{
		Architecture: arch, OS: "linux",
		Config: runConfig{Entrypoint: []string{"/" + binaryPath}, User: "65532:65532"},
		RootFS: rootFS{Type: "layers", DiffIDs: []string{"sha256:" + hex.EncodeToString(layerDigest[:])}},
	})
	if err != nil {
		return nil, err
	}
	configDigest := sha256.Sum256(config)
	configName := hex.EncodeToString(configDigest[:]) + ".json"
	layerName := hex.EncodeToString(layerDigest[:]) + "/layer.tar"
	manifest, err := json.Marshal([]archiveManifest{{Config: configName, RepoTags: []string{ref}, Layers: []string{layerName}}})
	if err != nil {
		return nil, err
	}
	return tarOf(map[string][]byte{"manifest.json": manifest, configName: config, layerName: layer}, 0o644)
}

// staticArch checks the binary is a static Linux executable and names its architecture as an
// image config does.
func staticArch(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s: not a Linux executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("%s is dynamically linked: an image FROM scratch needs a static binary (build it with CGO_ENABLED=0)", path)
		}
	}
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64", nil
	case elf.EM_AARCH64:
		return "arm64", nil
	}
	return "", fmt.Errorf("%s: architecture %s is not amd64 or arm64", path, f.Machine)
}

// tarOf writes files in name order, with fixed times so the same binary gives the same image.
func tarOf(files map[string][]byte, mode int64) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	epoch := time.Unix(0, 0)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: mode, Size: int64(len(files[n])), ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// The docker-archive's JSON documents.
type archiveManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

type imageConfig struct {
	Architecture string    `json:"architecture"`
	OS           string    `json:"os"`
	Config       runConfig `json:"config"`
	RootFS       rootFS    `json:"rootfs"`
}

type runConfig struct {
	Entrypoint []string `json:"Entrypoint"`
	User       string   `json:"User,omitempty"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}
