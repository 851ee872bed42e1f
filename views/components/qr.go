package components

import (
	"fmt"
	"strings"

	"rsc.io/qr"
)

// quietZone is the blank margin scanners need around a QR code, in modules.
const quietZone = 4

// QRCode is a QR code drawn as one SVG path, so it is sharp at any size
// and needs no image file or inline style.
type QRCode struct {
	ViewBox string
	Path    string
	Label   string
}

// NewQRCode encodes text (a card code, say) with medium error correction.
func NewQRCode(text string) (QRCode, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return QRCode{}, fmt.Errorf("qr: %w", err)
	}
	var d strings.Builder
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if code.Black(x, y) {
				fmt.Fprintf(&d, "M%d %dh1v1h-1z", x+quietZone, y+quietZone)
			}
		}
	}
	side := code.Size + 2*quietZone
	return QRCode{ViewBox: fmt.Sprintf("0 0 %d %d", side, side), Path: d.String(), Label: "QR code of " + text}, nil
}
