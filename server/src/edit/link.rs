//! `fill = "link"`: a field left empty takes the value of the same attribute from the
//! feature of its linked layer at the record's spot (a farmland record's `地番` from the
//! `chiban` lot it lies in), as the phone form does online. The server does it too, so a
//! record made without signal, or by an API client, still gets it.
//!
//! Only through the caller's own view of the linked layer: a layer they cannot see, a
//! feature their row filter hides or an attribute their view does not show fills nothing.

use geo::{Geometry, InteriorPoint as _, Point};
use serde_json::Value as Json;

use super::check;
use crate::access::LayerView;
use crate::query::spatial::{Origin, covering};

/// A field to fill from its linked layer, with the caller's view of that layer.
#[derive(Clone)]
pub struct Link {
    pub field: String,
    pub view: LayerView,
}

/// The spot a record's links are read at: its point, or a point inside its area or on its
/// line. `None` when the input has no valid geometry (the checks will say why).
pub fn spot(input: &Json) -> Option<Point<f64>> {
    let g: Geometry<f64> = check::geometry(input.get("geometry")?).ok()?;
    g.interior_point()
}

/// The value of `field` on the first feature of its linked layer covering `at`.
pub fn value(links: &[Link], field: &str, at: Point<f64>) -> Option<Json> {
    let link = links.iter().find(|l| l.field == field)?;
    let view = &link.view;
    if !view.shows(field) {
        return None;
    }
    let i = view.layer.schema.index_of(field)?;
    let ty = view.layer.schema.field(i).ty;
    covering(view, &Origin::new(at.x(), at.y()))
        .into_iter()
        .map(|f| f.property(i))
        .find(|v| !v.is_null())
        .map(|v| v.to_json(ty))
}
