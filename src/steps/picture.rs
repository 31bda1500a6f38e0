//! `picture`: one slide's generated picture, drawn by a cloud image provider from the slide's visual prompt.

use std::path::Path;

use super::{Inputs, Job, Prepared, Produced, StepError, sign_api, write};
use crate::cache::Store;
use crate::graph::node::NodeKind;
use crate::graph::node::{Section, SlideId};
use crate::graph::signature::Signature;
use crate::providers::apis::{Api, Signed};
use crate::providers::picture::{Painter, PictureRequest};
use crate::record::cost::Usage;

/// Asks the provider for a picture of `prompt`.
struct Draw {
    prompt: String,
    request: PictureRequest,
}

pub fn prepare(slide: SlideId, inputs: &Inputs) -> Prepared {
    let ctx = inputs.ctx;
    let prompt = inputs.slide(slide).visual_prompt.clone();
    let images = &ctx.videofile.images;
    let api = ctx
        .videofile
        .providers
        .get(&images.provider)
        .expect("picture nodes exist for cloud image providers")
        .api;
    let mut signature = Signature::new(NodeKind::Picture, 1);
    sign_api(
        &mut signature,
        "provider",
        api,
        Section::Images,
        |setting| match setting {
            Signed::Model => images.model.clone(),
            Signed::Size => images.size.clone(),
            Signed::Voice | Signed::Language => unreachable!("pictures have no voice"),
        },
    );
    let painter = match api {
        Api::Stability => Painter::Stability {
            model: images.model.clone(),
        },
        _ => Painter::OpenAi {
            model: images.model.clone(),
            size: images.size.clone(),
        },
    };
    signature.input("prompt", &prompt);
    let request = PictureRequest {
        client: ctx.clients.get(&images.provider),
        painter,
    };
    Prepared::new(signature, Draw { prompt, request })
}

impl Job for Draw {
    fn usage(&self) -> Usage {
        Usage {
            images: 1,
            requests: 1,
            ..Usage::default()
        }
    }

    fn provider(&self) -> Option<&str> {
        Some(&self.request.client.name)
    }

    fn run(&self, _store: &Store, scratch: &Path) -> Result<Produced, StepError> {
        let (bytes, usage) = self.request.draw(&self.prompt)?;
        Ok(Produced::using(usage).file("picture", write(scratch.join("picture"), &bytes)?))
    }
}
