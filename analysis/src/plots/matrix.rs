//! The defence matrix as a heat map: one row per defence, one column per
//! outcome, each cell the change the defence makes to the outcome (with it,
//! against without it) relative to the outcome without it. Blue where it
//! lowers the outcome, orange where it raises it, grey where the interval
//! includes no change; the deeper the colour, the larger the change.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{PlotError, draw_text, fit, render_both};
use crate::workflow::MatrixCell;

const LOWER: RGBColor = RGBColor(0, 114, 178);
const HIGHER: RGBColor = RGBColor(213, 94, 0);
const UNCLEAR: RGBColor = RGBColor(225, 225, 225);

/// White blended towards `c` by `share` (0 to 1).
fn tint(c: RGBColor, share: f64) -> RGBColor {
    let s = share.clamp(0.0, 1.0);
    let mix = |x: u8| (255.0 - (255.0 - f64::from(x)) * (0.15 + 0.85 * s)).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// The colour of a cell.
pub(crate) fn cell_colour(cell: &MatrixCell) -> RGBColor {
    if !cell.clear() {
        return UNCLEAR;
    }
    let r = cell.relative();
    if r < 0.0 { tint(LOWER, -r) } else { tint(HIGHER, r) }
}

/// Draws the matrix to `<stem>.svg` and `<stem>.png`.
///
/// # Errors
/// [`PlotError`] if a file cannot be written.
pub fn plot_defence_matrix(
    defences: &[String],
    outcomes: &[(String, String)],
    cells: &[MatrixCell],
    alone: bool,
    stem: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    let (left, top, cell_w, cell_h) = (200i32, 280i32, 86i32, 40i32);
    let width = (left + cell_w * outcomes.len() as i32 + 40).max(700) as u32;
    let height = (top + cell_h * defences.len() as i32 + 90) as u32;
    render_both!(stem, (width, height), |root| {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let title = if alone {
            "What each defence changes on its own: with it alone against no defence"
        } else {
            "What each defence changes: with it against without it (every other defence kept)"
        };
        draw_text(&root, title, (16, 14), 18, HPos::Left, VPos::Top)?;
        // Column heads, written upwards above their column.
        for (j, (_, label)) in outcomes.iter().enumerate() {
            let x = left + cell_w * j as i32 + cell_w / 2;
            let style = (super::FONT, 12)
                .into_font()
                .transform(FontTransform::Rotate270)
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center));
            root.draw(&Text::new(fit(label, 40), (x, top - 8), style)).map_err(|e| e.to_string())?;
        }
        for (i, d) in defences.iter().enumerate() {
            let y = top + cell_h * i as i32;
            draw_text(&root, &fit(d, 26), (left - 10, y + cell_h / 2), 13, HPos::Right, VPos::Center)?;
            for (j, (column, _)) in outcomes.iter().enumerate() {
                let x = left + cell_w * j as i32;
                let Some(cell) = cells.iter().find(|c| &c.defence == d && &c.outcome == column) else { continue };
                root.draw(&Rectangle::new([(x, y), (x + cell_w - 2, y + cell_h - 2)], cell_colour(cell).filled()))
                    .map_err(|e| e.to_string())?;
                let text = if cell.clear() { crate::workflow::percent(cell.relative()) } else { "·".to_owned() };
                draw_text(&root, &text, (x + cell_w / 2, y + cell_h / 2), 13, HPos::Center, VPos::Center)?;
            }
        }
        let y = top + cell_h * defences.len() as i32 + 20;
        draw_text(
            &root,
            "Each cell: change in the outcome's mean, relative to its mean without the defence; \
             · where the 95% interval includes no change.",
            (16, y),
            12,
            HPos::Left,
            VPos::Top,
        )?;
        draw_text(
            &root,
            "Blue: lower with the defence; orange: higher. Objectives are the share of trials the attack got what it came for.",
            (16, y + 20),
            12,
            HPos::Left,
            VPos::Top,
        )?;
        Ok(())
    })
}
