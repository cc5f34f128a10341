package extract

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
	"testing"
)

// zipOf builds a zip archive of the given parts (name, content pairs).
func zipOf(t testing.TB, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(parts); i += 2 {
		w, err := zw.Create(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(parts[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const (
	nsW = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	nsA = `xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"`
	nsS = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
)

func docxOf(t testing.TB, body string) []byte {
	return zipOf(t, "[Content_Types].xml", "<Types/>", "word/document.xml",
		`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document `+nsW+`><w:body>`+body+`</w:body></w:document>`)
}

func xlsxOf(t testing.TB) []byte {
	return zipOf(t,
		"xl/workbook.xml", `<workbook `+nsS+`><sheets><sheet name="Budget" sheetId="1" r:id="rId2"/><sheet name="Notes" sheetId="2" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Target="worksheets/sheet2.xml"/></Relationships>`,
		"xl/sharedStrings.xml", `<sst `+nsS+`><si><t>Item</t></si><si><t>Cost</t></si><si><r><t>VPN </t></r><r><t>licences</t></r></si></sst>`,
		"xl/worksheets/sheet2.xml", `<worksheet `+nsS+`><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><f>SUM(1,2)</f><v>1200.5</v></c></row></sheetData></worksheet>`,
		"xl/worksheets/sheet1.xml", `<worksheet `+nsS+`><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>renew in May</t></is></c></row></sheetData></worksheet>`,
	)
}

func pptxOf(t testing.TB) []byte {
	slide := func(title, body string) string {
		return `<p:sld ` + nsA + `><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>` + title + `</a:t></a:r></a:p><a:p><a:r><a:t>` + body + `</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`
	}
	return zipOf(t,
		"ppt/slides/slide10.xml", slide("Rollout", "Week 3: everyone"),
		"ppt/slides/slide2.xml", slide("Plan", "Week 1: pilot"),
	)
}

// pdfOf builds a one-page PDF whose content stream is content, with a
// Helvetica font F1 and a correct cross-reference table.
func pdfOf(content string) []byte {
	return pdfWith("/Kids [3 0 R] /Count 1", []byte(content), false)
}

// pdfWith builds a PDF whose page tree root has the given kids and count,
// and whose one page draws content, deflated if flate.
func pdfWith(kids string, content []byte, flate bool) []byte {
	stream := fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content)+1, content)
	if flate {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(content)
		zw.Close()
		stream = fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes())
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages " + kids + " >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		stream,
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}
	var b strings.Builder
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return []byte(b.String())
}

// kernedPDF sets words the way TeX does, with TJ gaps for spaces, and
// moves to new lines with Td.
func kernedPDF() []byte {
	return pdfOf("BT /F1 12 Tf 72 720 Td [(Rotate)-333(the)-333(pager)] TJ 0 -14 Td [(ev)20(ery)-333(week)] TJ ET")
}
