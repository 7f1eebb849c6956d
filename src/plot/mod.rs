//! Charts: a series against its expectation, drawn with plotters as SVG or PNG.
//!
//! The drawing room: it is handed numbers already computed (see
//! [`crate::investigate::series`]) and decides nothing about them. Text is laid out with
//! the DejaVu Sans font bundled in the binary (plotters' `ab_glyph`), so a PNG looks the
//! same on every machine, fonts installed or not; an SVG names the generic
//! `sans-serif` family and carries no font. Same numbers, same bytes.

use crate::time::{to_datetime, Minute, MINUTES_PER_DAY};
mod png;

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

/// The family every text is drawn in.
const FONT: &str = "sans-serif";
const OBSERVED: RGBColor = RGBColor(20, 20, 20);
const EXPECTED: RGBColor = RGBColor(31, 119, 180);
const INSIGHT: RGBColor = RGBColor(214, 39, 40);
const WARMUP: RGBColor = RGBColor(150, 150, 150);

/// One bucket: its first minute, what was observed and what the baseline expected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub start: Minute,
    pub observed: f64,
    pub expected: f64,
    pub low: f64,
    pub high: f64,
}

/// What a timeline chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// First line of the title: which series.
    pub title: String,
    /// Second line: the window and the unit.
    pub subtitle: String,
    /// The y axis, e.g. "calls per 15 minutes".
    pub y_label: String,
    /// The band's legend, e.g. "expected ± 2 sd".
    pub band_label: String,
    /// Bucket length, minutes.
    pub step: Minute,
    pub samples: Vec<Sample>,
    /// Insight windows `[start, end)`, shaded.
    pub insights: Vec<(Minute, Minute)>,
    /// Minutes before this one are not judged yet (warm-up), shaded grey.
    pub judged_from: Minute,
}

/// Why a chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("{0}: a chart is written as .svg or .png")]
    Extension(String),
    #[error("nothing to draw: the window holds no bucket")]
    Empty,
}

/// Draws the chart as an SVG document of `width` x `height` pixels.
pub fn to_svg(chart: &Chart, width: u32, height: u32) -> Result<String, PlotError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw(chart, &root)?;
        root.present().map_err(draw_error)?;
    }
    Ok(out)
}

/// Writes the chart to `path`, as SVG or PNG by its extension, under a temporary name
/// renamed into place when complete.
pub fn write(chart: &Chart, path: &Path, width: u32, height: u32) -> Result<(), PlotError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let staged = path.with_extension(format!("partial.{}", extension.as_deref().unwrap_or("")));
    let io = |e: std::io::Error| PlotError::Draw(format!("{}: {e}", path.display()));
    match extension.as_deref() {
        Some("svg") => std::fs::write(&staged, to_svg(chart, width, height)?).map_err(io)?,
        Some("png") => std::fs::write(&staged, to_png(chart, width, height)?).map_err(io)?,
        _ => return Err(PlotError::Extension(path.display().to_string())),
    }
    std::fs::rename(&staged, path).map_err(io)
}

/// Draws the chart as a PNG image (8-bit RGB) of `width` x `height` pixels.
pub fn to_png(chart: &Chart, width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw(chart, &root)?;
        root.present().map_err(draw_error)?;
    }
    png::encode_rgb(&rgb, width, height).map_err(draw_error)
}

fn draw_error(e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw(e.to_string())
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bundled font always parses; a failure would show as missing text, not a crash.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

/// The whole chart on one drawing area.
fn draw<DB: DrawingBackend>(chart: &Chart, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
    register_font();
    let (Some(first), Some(last)) = (chart.samples.first(), chart.samples.last()) else {
        return Err(PlotError::Empty);
    };
    let (x0, x1) = (first.start, last.start + chart.step);
    let top = chart.samples.iter().map(|s| s.observed.max(s.high)).fold(1.0, f64::max) * 1.1;
    root.fill(&WHITE).map_err(draw_error)?;
    let (title, body) = root.split_vertically(52);
    title.draw_text(&chart.title, &(FONT, 17).into_font().color(&BLACK), (12, 8)).map_err(draw_error)?;
    title.draw_text(&chart.subtitle, &(FONT, 13).into_font().color(&RGBColor(90, 90, 90)), (12, 30)).map_err(draw_error)?;
    let mut ctx = ChartBuilder::on(&body)
        .margin_left(8)
        .margin_right(20)
        .margin_bottom(8)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(time_axis(x0, x1), 0f64..top)
        .map_err(draw_error)?;
    let time_format = match tick_interval(x1 - x0) {
        i if i >= MINUTES_PER_DAY => "%m-%d",
        _ if x1 - x0 <= MINUTES_PER_DAY => "%H:%M",
        _ => "%m-%d %H:%M",
    };
    ctx.configure_mesh()
        .light_line_style(RGBColor(238, 238, 238))
        .y_labels(6)
        .x_label_formatter(&|m| to_datetime(*m).format(time_format).to_string())
        .y_label_formatter(&|v| format_count(*v))
        .x_desc(format!("time (UTC{})", if x1 - x0 <= MINUTES_PER_DAY { format!(", {}", to_datetime(x0).format("%Y-%m-%d")) } else { String::new() }))
        .y_desc(chart.y_label.as_str())
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .draw()
        .map_err(draw_error)?;
    if chart.judged_from > x0 {
        let until = chart.judged_from.min(x1);
        ctx.draw_series(std::iter::once(Rectangle::new([(x0, 0.0), (until, top)], WARMUP.mix(0.12).filled())))
            .map_err(draw_error)?
            .label("warm-up (not judged)")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], WARMUP.mix(0.3).filled()));
    }
    let spans = chart.insights.iter().map(|&(a, b)| Rectangle::new([(a.max(x0), 0.0), (b.min(x1), top)], INSIGHT.mix(0.18).filled()));
    let drawn = ctx.draw_series(spans).map_err(draw_error)?;
    if !chart.insights.is_empty() {
        drawn.label("insight").legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], INSIGHT.mix(0.35).filled()));
    }
    draw_lines(chart, &mut ctx)?;
    ctx.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .draw()
        .map_err(draw_error)
}

type TimeAxis = plotters::coord::combinators::WithKeyPoints<plotters::coord::types::RangedCoordi64>;
type Ctx<'a, DB> = ChartContext<'a, DB, Cartesian2d<TimeAxis, plotters::coord::types::RangedCoordf64>>;

/// Round tick intervals, minutes: from a minute to a week.
const TICK_INTERVALS: [Minute; 14] = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, MINUTES_PER_DAY, 2 * MINUTES_PER_DAY, 7 * MINUTES_PER_DAY];

/// The shortest round interval that puts at most eight ticks on a span.
fn tick_interval(span: Minute) -> Minute {
    TICK_INTERVALS.into_iter().find(|&t| span / t <= 8).unwrap_or(7 * MINUTES_PER_DAY)
}

/// The time axis of `[x0, x1)`, with ticks on round UTC times (00:00, 06:00...) and
/// light grid lines at the next shorter interval.
fn time_axis(x0: Minute, x1: Minute) -> TimeAxis {
    let interval = tick_interval(x1 - x0);
    let light = TICK_INTERVALS.into_iter().rev().find(|&t| t < interval).unwrap_or(interval);
    let on = |step: Minute| -> Vec<Minute> {
        let first = x0.div_euclid(step) * step + if x0.rem_euclid(step) == 0 { 0 } else { step };
        (0..).map(|i| first + i * step).take_while(|&m| m <= x1).collect()
    };
    (x0..x1).with_key_points(on(interval)).with_light_points(on(light))
}

/// The band, the expected line and the observed line, as steps over each bucket.
fn draw_lines<DB: DrawingBackend>(chart: &Chart, ctx: &mut Ctx<'_, DB>) -> Result<(), PlotError> {
    let step = chart.step;
    let steps = |v: fn(&Sample) -> f64| -> Vec<(Minute, f64)> {
        chart.samples.iter().flat_map(|s| [(s.start, v(s)), (s.start + step, v(s))]).collect()
    };
    let mut band = steps(|s| s.high);
    band.extend(steps(|s| s.low).into_iter().rev());
    ctx.draw_series(std::iter::once(Polygon::new(band, EXPECTED.mix(0.16).filled())))
        .map_err(draw_error)?
        .label(chart.band_label.as_str())
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], EXPECTED.mix(0.3).filled()));
    ctx.draw_series(LineSeries::new(steps(|s| s.expected), EXPECTED.stroke_width(2)))
        .map_err(draw_error)?
        .label("expected (baseline)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], EXPECTED.stroke_width(2)));
    ctx.draw_series(LineSeries::new(steps(|s| s.observed), OBSERVED.stroke_width(2)))
        .map_err(draw_error)?
        .label("observed")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], OBSERVED.stroke_width(2)));
    Ok(())
}

/// Axis counts: integers plainly, fractions with one decimal.
fn format_count(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 { format!("{}", v.round() as i64) } else { format!("{v:.1}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_utc_times() {
        assert_eq!(tick_interval(MINUTES_PER_DAY), 180);
        assert_eq!(tick_interval(9 * MINUTES_PER_DAY), 2 * MINUTES_PER_DAY);
        assert_eq!(tick_interval(30), 5);
        let axis = time_axis(100, 400);
        assert_eq!(axis.bold_points(), &[120, 180, 240, 300, 360]);
    }

    #[test]
    fn an_empty_chart_is_refused_not_drawn() {
        let chart = Chart { title: String::new(), subtitle: String::new(), y_label: String::new(), band_label: String::new(), step: 1, samples: Vec::new(), insights: Vec::new(), judged_from: 0 };
        assert!(matches!(to_svg(&chart, 400, 300), Err(PlotError::Empty)));
    }
}
