//! A ticket as a picture: the QR code of its code (PNG or SVG) and a one-page PDF with the event,
//! the seat and the QR code drawn as vector squares (sharp at any print size).

use qrcode::{Color, EcLevel, QrCode};

/// Quiet zone around the code, in modules (the QR standard asks for 4).
const QUIET: usize = 4;

/// The dark/light modules of the code's QR, row by row, and its width in modules.
fn modules(code: &str) -> (Vec<bool>, usize) {
    // M: 15 % of the code may be damaged (a creased printout, a cracked phone screen).
    let qr = QrCode::with_error_correction_level(code.as_bytes(), EcLevel::M).expect("a ticket code fits a QR code");
    let w = qr.width();
    (qr.to_colors().into_iter().map(|c| c == Color::Dark).collect(), w)
}

/// PNG, `scale` pixels a module, 8-bit grayscale.
pub fn qr_png(code: &str, scale: usize) -> Vec<u8> {
    let (dark, w) = modules(code);
    let side = (w + 2 * QUIET) * scale;
    let mut pixels = vec![255u8; side * side];
    for y in 0..w {
        for x in 0..w {
            if dark[y * w + x] {
                for dy in 0..scale {
                    let row = ((y + QUIET) * scale + dy) * side;
                    let from = row + (x + QUIET) * scale;
                    pixels[from..from + scale].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().expect("PNG header to memory");
        writer.write_image_data(&pixels).expect("PNG data to memory");
    }
    out
}

/// SVG, the code's own renderer.
pub fn qr_svg(code: &str) -> String {
    let qr = QrCode::with_error_correction_level(code.as_bytes(), EcLevel::M).expect("a ticket code fits a QR code");
    qr.render::<qrcode::render::svg::Color>().min_dimensions(256, 256).quiet_zone(true).build()
}

/// What the PDF prints beside the QR code.
pub struct TicketSheet<'a> {
    pub title: &'a str,
    pub lines: Vec<String>,
    pub code: &'a str,
}

/// A one-page A4 PDF: the title, the lines, the QR code and its text.
pub fn pdf(sheet: &TicketSheet<'_>) -> Vec<u8> {
    use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
    let (catalog, tree, page_id, font, bold, contents) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5), Ref::new(6));
    let (width, height) = (595.0f32, 842.0f32);
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, width, height));
    page.parent(tree);
    page.contents(contents);
    {
        let mut res = page.resources();
        let mut fonts = res.fonts();
        fonts.pair(Name(b"F1"), font);
        fonts.pair(Name(b"F2"), bold);
    }
    drop(page);
    pdf.type1_font(font).base_font(Name(b"Helvetica"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold"));

    let mut c = Content::new();
    let mut y = height - 80.0;
    c.begin_text();
    c.set_font(Name(b"F2"), 22.0);
    c.next_line(60.0, y);
    c.show(Str(&latin1(sheet.title)));
    c.end_text();
    for line in &sheet.lines {
        y -= 24.0;
        c.begin_text();
        c.set_font(Name(b"F1"), 13.0);
        c.next_line(60.0, y);
        c.show(Str(&latin1(line)));
        c.end_text();
    }
    // The QR code: one filled square per dark module, 4 points a module.
    let (dark, w) = modules(sheet.code);
    let module = 4.0f32;
    let (x0, top) = (60.0f32, y - 40.0);
    for row in 0..w {
        for col in 0..w {
            if dark[row * w + col] {
                c.rect(x0 + col as f32 * module, top - (row + 1) as f32 * module, module, module);
            }
        }
    }
    c.fill_nonzero();
    let below = top - w as f32 * module - 24.0;
    c.begin_text();
    c.set_font(Name(b"F1"), 7.0);
    c.next_line(60.0, below);
    // The code itself, for manual entry at a gate whose camera fails.
    for (i, chunk) in sheet.code.as_bytes().chunks(100).enumerate() {
        if i > 0 {
            c.next_line(0.0, -10.0);
        }
        c.show(Str(chunk));
    }
    c.end_text();
    pdf.stream(contents, &c.finish());
    pdf.finish()
}

/// Text for the standard PDF fonts (WinAnsi): what is outside Latin-1 becomes `?`.
fn latin1(s: &str) -> Vec<u8> {
    s.chars().map(|ch| if (ch as u32) < 256 { ch as u8 } else { b'?' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_have_their_formats() {
        let code = "TK1.eyJ0IjoiYiIsImUiOiJlIiwicyI6IkEtMSJ9.c2lnbmF0dXJl";
        assert!(qr_png(code, 6).starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(qr_svg(code).contains("<svg"));
        let sheet = TicketSheet { title: "Opera \u{2014} première", lines: vec!["Seat A-1".into()], code };
        let doc = pdf(&sheet);
        assert!(doc.starts_with(b"%PDF-"));
        assert!(doc.ends_with(b"%%EOF") || doc.ends_with(b"%%EOF\n"));
    }
}
