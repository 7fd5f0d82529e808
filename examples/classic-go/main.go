// classic-go — the classic scenario through layerkit's Go binding: list the
// images of a base, a runtime and an app archive (each built FROM the
// previous one), print each one's history, then the layers they share.
// The Go twin of examples/classic.c.
//
//	go run . base.tar runtime.tar app.tar
package main

import (
	"fmt"
	"os"

	"layerkit.invalid/go/layerkit"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintf(os.Stderr, "usage: %s ARCHIVE...\n", os.Args[0])
		os.Exit(2)
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "classic-go:", err)
		os.Exit(1)
	}
}

func run(paths []string) error {
	var inputs []layerkit.DedupInput
	for _, path := range paths {
		a, err := layerkit.Open(path, nil)
		if err != nil {
			return err
		}
		defer a.Close()
		images := a.Images()
		fmt.Printf("%s (%s): %d image(s)\n", path, a.Format(), len(images))
		for _, img := range images {
			ref := "<none>"
			if len(img.References) > 0 {
				ref = img.References[0]
			}
			fmt.Printf("  image %s  id %.19s  %s/%s  %d layers\n", ref, img.ID, img.OS, img.Architecture, img.LayerCount)
			rows, err := a.History(img, false, nil)
			if err != nil {
				return err
			}
			for _, row := range rows {
				id := row.ID
				if len(id) > 7 && id[0] != '<' {
					id = id[7:]
				}
				fmt.Printf("    %-12.12s %10d B  %.60s\n", id, row.ContentBytes, row.CreatedBy)
			}
			inputs = append(inputs, layerkit.DedupInput{Archive: a, Image: img})
		}
	}

	res, err := layerkit.Dedup(inputs, 0, nil)
	if err != nil {
		return err
	}
	fmt.Printf("\nlayers (by chain_id) and the images that share them:\n")
	for _, l := range res.Layers {
		fmt.Printf("  %.19s  %10d B  in %d:", l.ChainID, l.Bytes, len(l.Images))
		for _, ref := range l.Images {
			fmt.Printf(" %s", ref)
		}
		fmt.Println()
	}
	fmt.Printf("total %d B, unique %d B, saved by sharing %d B\n", res.TotalBytes, res.UniqueBytes, res.SavedBytes)
	return nil
}
