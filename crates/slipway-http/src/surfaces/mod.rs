//! One module per seed document: each translates its document's requests and responses, nothing more. The
//! routes several documents claim live in `shared`.

pub mod ansflow;
pub mod attachment;
pub mod jobs;
pub mod paging;
pub mod perfect21;
pub mod petplan;
pub mod qoder;
pub mod resoftai;
pub mod shared;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every surface's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(shared::routes())
        .merge(perfect21::routes())
        .merge(resoftai::routes())
        .merge(ansflow::routes())
        .merge(qoder::routes())
        .merge(petplan::routes())
        .merge(jobs::routes())
}
