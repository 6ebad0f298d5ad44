//! Server-side SVG line charts (no script): a 0–100 % axis, grid lines, the time span, and
//! one or more series drawn as polylines. Readable without colour: each series is labelled.

use crate::i18n::Tr;

const W: f64 = 640.0;
const H: f64 = 180.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 20.0;

pub struct Series<'a> {
    pub label: &'a str,
    pub class: &'a str,
    /// (time ms, value 0–100)
    pub points: &'a [(i64, f64)],
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SVG chart of `series` over `[from, to)`.
pub fn line_chart(tr: &Tr, title: &str, from: i64, to: i64, series: &[Series<'_>]) -> String {
    let span = (to - from).max(1) as f64;
    let x = |t: i64| LEFT + (t - from) as f64 / span * (W - LEFT - 4.0);
    let y = |v: f64| 4.0 + (1.0 - v.clamp(0.0, 100.0) / 100.0) * (H - BOTTOM - 8.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" class=\"chart\" role=\"img\" aria-label=\"{}\">",
        esc(title)
    );
    for v in [0.0, 25.0, 50.0, 75.0, 100.0] {
        out.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{W}\" y1=\"{0:.1}\" y2=\"{0:.1}\" class=\"grid\"/><text x=\"{1}\" y=\"{2:.1}\" class=\"axis\" text-anchor=\"end\">{v:.0}%</text>",
            y(v),
            LEFT - 4.0,
            y(v) + 4.0
        ));
    }
    out.push_str(&format!(
        "<text x=\"{LEFT}\" y=\"{0}\" class=\"axis\">{1}</text><text x=\"{W}\" y=\"{0}\" class=\"axis\" text-anchor=\"end\">{2}</text>",
        H - 4.0,
        esc(&tr.datetime(Some(from))),
        esc(&tr.datetime(Some(to)))
    ));
    for s in series {
        if s.points.is_empty() {
            continue;
        }
        let pts: Vec<String> = s
            .points
            .iter()
            .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
            .collect();
        out.push_str(&format!(
            "<polyline points=\"{}\" class=\"series {}\"><title>{}</title></polyline>",
            pts.join(" "),
            esc(s.class),
            esc(s.label)
        ));
    }
    if series.iter().all(|s| s.points.is_empty()) {
        out.push_str(&format!(
            "<text x=\"{:.0}\" y=\"{:.0}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
            W / 2.0,
            H / 2.0,
            esc(&tr.t("monitoring-no-data"))
        ));
    }
    out.push_str("</svg>");
    out
}

/// Averages points into at most `max` buckets over `[from, to)`.
pub fn downsample(points: &[(i64, f64)], from: i64, to: i64, max: usize) -> Vec<(i64, f64)> {
    if points.len() <= max || max == 0 {
        return points.to_vec();
    }
    let width = ((to - from) as f64 / max as f64).max(1.0);
    let mut out: Vec<(i64, f64, usize)> = Vec::with_capacity(max);
    for (t, v) in points {
        let b = ((t - from) as f64 / width) as i64;
        let bt = from + (b as f64 * width) as i64;
        match out.last_mut() {
            Some(last) if last.0 == bt => {
                last.1 += v;
                last.2 += 1;
            }
            _ => out.push((bt, *v, 1)),
        }
    }
    out.into_iter().map(|(t, s, n)| (t, s / n as f64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_has_series_and_escapes() {
        let pts = [(0, 10.0), (500, 90.0), (1000, 50.0)];
        let svg = line_chart(
            &Tr::default(),
            "CPU <load>",
            0,
            1000,
            &[Series {
                label: "CPU",
                class: "cpu",
                points: &pts,
            }],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("class=\"series cpu\"") && svg.contains("CPU &lt;load&gt;"));
        let empty = line_chart(
            &Tr::default(),
            "x",
            0,
            1,
            &[Series {
                label: "CPU",
                class: "cpu",
                points: &[],
            }],
        );
        assert!(empty.contains("No data"));
    }

    #[test]
    fn downsampling_averages_buckets() {
        let pts: Vec<(i64, f64)> = (0..100).map(|i| (i * 10, i as f64)).collect();
        let d = downsample(&pts, 0, 1000, 10);
        assert_eq!(d.len(), 10);
        assert!((d[0].1 - 4.5).abs() < 1e-9, "{:?}", d[0]);
    }
}
