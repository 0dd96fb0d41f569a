// fluxpull pulls a genplat bundle the way Flux does, for the tests (never shipped with genplat).
//
//	fluxpull [-insecure] [-client] REPOSITORY@sha256:DIGEST OUTDIR
//
// Default: source-controller's OCIRepository path (remote.Image by digest, layers[0], Compressed(),
// fluxcd/pkg/tar Untar with no size limit and symlinks skipped). -client: the flux CLI's path
// (`flux pull artifact`, fluxcd/pkg/oci Client.Pull). Prints one JSON line: the manifest digest, the
// layer media type, the number of files written and the provenance Flux reads from the manifest.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fluxcd/pkg/oci"
	"github.com/fluxcd/pkg/tar"
	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

type result struct {
	Digest    string `json:"digest"`
	LayerType string `json:"layerMediaType,omitempty"`
	Files     int    `json:"files"`
	Revision  string `json:"revision,omitempty"`
	Source    string `json:"source,omitempty"`
}

func main() {
	insecure := flag.Bool("insecure", false, "the registry serves plain HTTP")
	client := flag.Bool("client", false, "pull with fluxcd/pkg/oci Client.Pull (the flux CLI) instead of source-controller's path")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: fluxpull [-insecure] [-client] REPOSITORY@sha256:DIGEST OUTDIR")
		os.Exit(2)
	}
	res, err := pull(flag.Arg(0), flag.Arg(1), *insecure, *client)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fluxpull:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

func pull(url, dir string, insecure, client bool) (*result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(url, opts...)
	if err != nil {
		return nil, err
	}
	if _, ok := ref.(name.Digest); !ok {
		return nil, fmt.Errorf("%s: pull by digest (REPOSITORY@sha256:...), as an OCIRepository pinned with ref.digest does", url)
	}
	res := &result{}
	if client {
		copts := oci.DefaultOptions()
		if insecure {
			copts = append(copts, crane.Insecure)
		}
		copts = append(copts, crane.WithContext(ctx))
		meta, err := oci.NewClient(copts).Pull(ctx, url, dir)
		if err != nil {
			return nil, err
		}
		res.Digest, res.Revision, res.Source = meta.Digest, meta.Revision, meta.Source
	} else {
		img, err := remote.Image(ref, remote.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		digest, err := img.Digest()
		if err != nil {
			return nil, err
		}
		manifest, err := img.Manifest()
		if err != nil {
			return nil, err
		}
		if len(manifest.Layers) < 1 {
			return nil, fmt.Errorf("no layers found in artifact")
		}
		layers, err := img.Layers()
		if err != nil {
			return nil, err
		}
		blob, err := layers[0].Compressed()
		if err != nil {
			return nil, err
		}
		defer blob.Close()
		if err := tar.Untar(blob, dir, tar.WithMaxUntarSize(-1), tar.WithSkipSymlinks()); err != nil {
			return nil, err
		}
		meta := oci.MetadataFromAnnotations(manifest.Annotations)
		res.Digest, res.LayerType = digest.String(), string(manifest.Layers[0].MediaType)
		res.Revision, res.Source = meta.Revision, meta.Source
	}
	err = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			res.Files++
		}
		return err
	})
	return res, err
}
