//! The shared remote cache against a real nginx with WebDAV PUT on 127.0.0.1 (each test starts its own):
//! two project copies sharing it, shards then an assembly, a corrupted blob, the remote dying mid-build, and
//! the cache folder carried to another machine.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

const COURSE: &str = "out/introduction-to-machine-learning.mp4";
const EXPENSIVE: &[&str] = &["script:", "audio:", "picture:", "image:", "clip:"];

/// An nginx serving a WebDAV store from a temp folder.
pub(crate) struct Nginx {
    child: Child,
    root: tempfile::TempDir,
    pub(crate) url: String,
}

impl Nginx {
    pub(crate) fn start() -> Nginx {
        let root = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = root.path();
        std::fs::create_dir_all(dir.join("store")).unwrap();
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        let conf = format!(
            "daemon off;\nmaster_process off;\nuser root;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\nevents {{}}\n\
             http {{\n  access_log off;\n  client_max_body_size 0;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n\
             fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n\
             server {{\n    listen 127.0.0.1:{port};\n    root {d}/store;\n    location / {{\n\
             dav_methods PUT DELETE;\n      create_full_put_path on;\n      dav_access user:rw group:r all:r;\n    }}\n  }}\n}}\n",
            d = dir.display()
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let binary = if Path::new("/usr/sbin/nginx").exists() {
            "/usr/sbin/nginx"
        } else {
            "nginx"
        };
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx runs (the README's set-up command installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx {
            child,
            root,
            url: format!("http://127.0.0.1:{port}/vbuild"),
        }
    }

    pub(crate) fn store(&self) -> PathBuf {
        self.root.path().join("store/vbuild")
    }

    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A copy of the example that uses `remote`.
fn copy_with_remote(remote: &str) -> tempfile::TempDir {
    let dir = example_copy();
    let videofile = dir.path().join("Videofile");
    let text = std::fs::read_to_string(&videofile).unwrap();
    std::fs::write(
        &videofile,
        format!("{text}\n[cache]\nremote = \"{remote}\"\n"),
    )
    .unwrap();
    dir
}

fn expensive_ran(dir: &Path) -> Vec<String> {
    nodes_in(&report(dir), "ran")
        .into_iter()
        .filter(|n| EXPENSIVE.iter().any(|k| n.starts_with(k)))
        .collect()
}

#[test]
fn a_second_copy_takes_everything_from_the_remote() {
    let nginx = Nginx::start();
    let first = copy_with_remote(&nginx.url);
    vbuild_ok(first.path(), &[]);
    assert!(nginx.store().join("ac").is_dir() && nginx.store().join("cas").is_dir());
    let second = copy_with_remote(&nginx.url);
    vbuild_ok(second.path(), &[]);
    assert_took_everything_from_the_remote(first.path(), second.path());
}

/// `second` ran no node and made the same course video as `first`.
fn assert_took_everything_from_the_remote(first: &Path, second: &Path) {
    assert_eq!(nodes_in(&report(second), "ran"), Vec::<String>::new());
    assert!(
        std::fs::read(first.join(COURSE)).unwrap() == std::fs::read(second.join(COURSE)).unwrap()
    );
}

#[test]
fn shards_then_an_assembly_give_the_single_machine_video() {
    let nginx = Nginx::start();
    let shards: Vec<tempfile::TempDir> = (0..2).map(|_| copy_with_remote(&nginx.url)).collect();
    let children: Vec<Child> = shards
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            Command::new(env!("CARGO_BIN_EXE_vbuild"))
                .args(["-q", "--shard", &format!("{i}/2")])
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let (zero, one) = (
        expensive_ran(shards[0].path()),
        expensive_ran(shards[1].path()),
    );
    assert!(
        !zero.is_empty() && !one.is_empty(),
        "both shards did work: {zero:?} {one:?}"
    );
    let twice: Vec<&String> = zero.iter().filter(|n| one.contains(n)).collect();
    assert!(twice.is_empty(), "built by both shards: {twice:?}");

    let assembly = copy_with_remote(&nginx.url);
    vbuild_ok(assembly.path(), &[]);
    assert_eq!(expensive_ran(assembly.path()), Vec::<String>::new());
    assert!(nodes_in(&report(assembly.path()), "ran").contains(&"course-video".to_string()));

    let single = example_copy();
    vbuild_ok(single.path(), &[]);
    assert!(
        std::fs::read(assembly.path().join(COURSE)).unwrap()
            == std::fs::read(single.path().join(COURSE)).unwrap()
    );
}

#[test]
fn a_corrupted_remote_blob_is_detected_and_rebuilt() {
    let nginx = Nginx::start();
    let first = copy_with_remote(&nginx.url);
    vbuild_ok(first.path(), &[]);
    let audio = report(first.path())["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "audio:03-linear-regression/01")
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    let entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(nginx.store().join("ac").join(&audio)).unwrap())
            .unwrap();
    let blob = nginx
        .store()
        .join("cas")
        .join(entry["outputs"]["speech"].as_str().unwrap());
    std::fs::write(&blob, b"not the narration").unwrap();

    let second = copy_with_remote(&nginx.url);
    let output = vbuild_ok_warning(second.path(), &[], &["does not match its hash; discarded"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "does not match its hash; discarded, audio:03-linear-regression/01 will be rebuilt"
        ),
        "{stderr}"
    );
    assert_eq!(
        expensive_ran(second.path()),
        ["audio:03-linear-regression/01"]
    );
    assert_eq!(
        std::fs::read(first.path().join(COURSE)).unwrap(),
        std::fs::read(second.path().join(COURSE)).unwrap()
    );
}

#[test]
fn the_remote_dying_mid_build_leaves_a_local_build_that_succeeds() {
    let mut nginx = Nginx::start();
    let dir = copy_with_remote(&nginx.url);
    let mut child = start_slow_build(dir.path(), &[], Stdio::piped());
    wait_for_entries(dir.path(), 12, &mut child);
    nginx.stop();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("going on with the local cache only"),
        "{stderr}"
    );
    assert!(dir.path().join(COURSE).is_file());
}

#[test]
fn the_cache_folder_carried_to_a_new_machine_makes_the_next_build_a_no_op() {
    let built = example_copy();
    vbuild_ok(built.path(), &[]);
    let fresh = example_copy();
    let status = Command::new("cp")
        .arg("-a")
        .arg(built.path().join(".vbuild"))
        .arg(fresh.path())
        .status()
        .unwrap();
    assert!(status.success());
    vbuild_ok(fresh.path(), &[]);
    assert_eq!(report(fresh.path())["counts"]["ran"], 0);
    assert!(fresh.path().join(COURSE).is_file());
}

/// A moto S3 server on 127.0.0.1 (PyPI's moto[server], run as `python3 -m moto.server`) with one bucket.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    fn start(bucket: &str) -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "python3 -m moto.server runs (the README's set-up command installs moto[server])",
            );
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let endpoint = format!("http://127.0.0.1:{port}");
        use rusty_s3::S3Action;
        let bucket = rusty_s3::Bucket::new(
            endpoint.parse().unwrap(),
            rusty_s3::UrlStyle::Path,
            bucket.to_string(),
            "us-east-1",
        )
        .unwrap();
        let credentials = rusty_s3::Credentials::new("test-key", "test-secret");
        let create = rusty_s3::actions::CreateBucket::new(&bucket, &credentials);
        let url = create.sign(Duration::from_secs(600));
        let response = ureq::put(url.as_str()).send(create.body()).unwrap();
        assert!(response.status().is_success());
        S3Server { child, endpoint }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_s3_compatible_store_is_shared_through_signed_requests() {
    let s3 = S3Server::start("vbuild-test");
    let remote = format!("s3://vbuild-test/team\"\ns3_endpoint = \"{}", s3.endpoint);
    let build = |dir: &Path| {
        let output = Command::new(env!("CARGO_BIN_EXE_vbuild"))
            .current_dir(dir)
            .env("AWS_ACCESS_KEY_ID", "test-key")
            .env("AWS_SECRET_ACCESS_KEY", "test-secret")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(output.status.success(), "{stderr}");
        assert!(!stderr.contains("local cache only"), "{stderr}");
        assert!(!stderr.contains("test-secret"));
    };
    let first = copy_with_remote(&remote);
    build(first.path());
    let second = copy_with_remote(&remote);
    build(second.path());
    assert_took_everything_from_the_remote(first.path(), second.path());

    // Without the credentials, a build stops before any work, naming the variable.
    let third = copy_with_remote(&remote);
    let output = Command::new(env!("CARGO_BIN_EXE_vbuild"))
        .current_dir(third.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("AWS_ACCESS_KEY_ID"));
}

#[test]
fn a_shard_whose_partner_never_comes_builds_its_nodes_after_shard_wait() {
    let nginx = Nginx::start();
    let dir = copy_with_remote(&nginx.url);
    append_to_videofile(dir.path(), "shard_wait = \"2s\"");
    let (output, _) = vbuild_within(
        dir.path(),
        &["--shard", "0/2"],
        &[],
        Duration::from_secs(180),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("shard 1 of 2 did not publish it within 2s; building it here"),
        "{stderr}"
    );
    // Everything the course needs was published: an assembly builds only the joins.
    let assembly = copy_with_remote(&nginx.url);
    vbuild_ok(assembly.path(), &[]);
    assert_eq!(expensive_ran(assembly.path()), Vec::<String>::new());
}
