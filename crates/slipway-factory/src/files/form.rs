//! An upload as the service reads it: the parts of a multipart form one after another, so a file's content
//! streams to the file store while it arrives. A surface adapts its multipart parser to [`UploadForm`].

use std::future::Future;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use slipway_core::Error;

/// One part of a form.
pub enum FormPart<'a> {
    /// A field without a file name, read whole (the surface bounds its length and refuses NUL characters).
    Text {
        /// The field's name.
        name: String,
        /// Its value.
        value: String,
    },
    /// A file, its content still to be read.
    File {
        /// The field's name.
        name: String,
        /// The file name the client gave (it may carry a relative path such as `src/app.py`).
        filename: String,
        /// The content; an error in it (the client left, the body is too large) ends the upload.
        body: BoxStream<'a, Result<Bytes, Error>>,
    },
}

impl std::fmt::Debug for FormPart<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text { name, value } => f.debug_struct("Text").field("name", name).field("value", value).finish(),
            Self::File { name, filename, .. } => {
                f.debug_struct("File").field("name", name).field("filename", filename).finish_non_exhaustive()
            }
        }
    }
}

/// The parts of an upload, in the order the client sent them.
pub trait UploadForm: Send {
    /// The next part (`None` after the last); a part not read to its end is skipped by the next call.
    fn next_part(&mut self) -> impl Future<Output = Result<Option<FormPart<'_>>, Error>> + Send;
}
