//! Text in any alphabet. Plots draw names from scenario files, which may be
//! written in any script: each name is drawn in runs, each in the bundled
//! font that has its glyphs (DejaVu Sans for Latin, Greek, Cyrillic and
//! symbols; Droid Sans Fallback for Chinese, Japanese and Korean), and a
//! character neither has (an emoji) is drawn as the replacement mark `�`
//! rather than an empty box.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::FONT;

/// The family name the fallback font is registered under.
pub(crate) const FALLBACK: &str = "fallback-cjk";
pub(crate) static FALLBACK_BYTES: &[u8] = include_bytes!("../../assets/DroidSansFallback.ttf");

fn fonts() -> &'static (FontRef<'static>, FontRef<'static>) {
    static FONTS: OnceLock<(FontRef<'static>, FontRef<'static>)> = OnceLock::new();
    FONTS.get_or_init(|| {
        (
            FontRef::try_from_slice(super::FONT_BYTES).expect("the bundled DejaVu Sans parses"),
            FontRef::try_from_slice(FALLBACK_BYTES).expect("the bundled Droid Sans Fallback parses"),
        )
    })
}

/// `text` split into runs, each with the family that can draw it.
pub(crate) fn runs(text: &str) -> Vec<(&'static str, String)> {
    let (main, fallback) = fonts();
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for c in text.chars() {
        let (family, c) = if c.is_whitespace() || main.glyph_id(c).0 != 0 {
            (FONT, c)
        } else if fallback.glyph_id(c).0 != 0 {
            (FALLBACK, c)
        } else {
            (FONT, '\u{FFFD}')
        };
        match out.last_mut() {
            Some((f, run)) if *f == family => run.push(c),
            _ => out.push((family, c.to_string())),
        }
    }
    out
}

/// Draws `text` at `(x, y)` in runs of the fonts that have its glyphs,
/// anchored horizontally by `h` and vertically by `v`.
pub(crate) fn draw_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    text: &str,
    (x, y): (i32, i32),
    size: u32,
    h: HPos,
    v: VPos,
) -> Result<(), String> {
    super::register_font_once();
    let pieces = runs(text);
    let widths: Vec<i32> = pieces
        .iter()
        .map(|(family, run)| {
            area.estimate_text_size(run, &(*family, size).into_text_style(area))
                .map(|(w, _)| w as i32)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    let total: i32 = widths.iter().sum();
    let mut at = match h {
        HPos::Left => x,
        HPos::Center => x - total / 2,
        HPos::Right => x - total,
    };
    for ((family, run), w) in pieces.iter().zip(widths) {
        let style = (*family, size).into_font().color(&BLACK).pos(Pos::new(HPos::Left, v));
        area.draw(&Text::new(run.clone(), (at, y), style)).map_err(|e| e.to_string())?;
        at += w;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_script_goes_to_the_font_that_has_it() {
        assert_eq!(runs("Ward 4"), [(FONT, "Ward 4".to_owned())]);
        assert_eq!(
            runs("病棟 A 🏥"),
            [(FALLBACK, "病棟".to_owned()), (FONT, " A \u{FFFD}".to_owned())],
            "CJK from the fallback, the emoji as a visible mark"
        );
        assert_eq!(runs("Кардиология ü"), [(FONT, "Кардиология ü".to_owned())]);
    }

    #[test]
    fn chinese_characters_are_drawn_not_boxed() {
        // Two different characters drawn the same would be empty boxes.
        let draw = |c: &str| -> Vec<u8> {
            let mut buf = vec![255u8; 48 * 48 * 3];
            {
                let root = BitMapBackend::with_buffer(&mut buf, (48, 48)).into_drawing_area();
                draw_text(&root, c, (4, 24), 32, HPos::Left, VPos::Center).unwrap();
                root.present().unwrap();
            }
            buf
        };
        let (a, b) = (draw("病"), draw("棟"));
        assert!(a.iter().any(|p| *p < 128), "something is drawn");
        assert_ne!(a, b, "different characters look different");
    }
}
