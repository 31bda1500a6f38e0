//! Nothing the disk, a picture or a remote says is trusted: linked cache and output folders, picture bombs,
//! entry facts, passwords in URLs, special files, numbers from flags and servers. Each test reproduces what
//! was measured from outside and checks that it ends in a clear message or a correct video, and that nothing
//! outside vbuild's own files is removed or written.

use std::os::unix::fs::symlink;
use std::path::Path;

use crate::common::*;

/// Every file under `dir`, with its content, to see that nothing changed there.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let content = std::fs::read(e.path()).unwrap();
            (e.path().display().to_string(), content)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_cache_folder_linked_to_a_users_folder_is_refused_and_gc_never_removes_what_vbuild_did_not_make()
 {
    let dir = small_course();
    let disk = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(disk.path().join("docs")).unwrap();
    std::fs::write(disk.path().join("docs/a.txt"), "data").unwrap();
    std::fs::create_dir_all(disk.path().join(".ssh")).unwrap();
    std::fs::write(disk.path().join(".ssh/id_rsa"), "key").unwrap();
    let before = snapshot(disk.path());
    std::fs::create_dir(dir.path().join(".vbuild")).unwrap();
    symlink(disk.path(), dir.path().join(".vbuild/cas")).unwrap();
    for args in [
        &[][..],
        &["gc"],
        &["gc", "-n"],
        &["cache", "verify", "--repair"],
        &["-n"],
    ] {
        let output = vbuild(dir.path(), args);
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "vbuild {args:?}: {said}");
        assert!(
            said.contains("which holds \".ssh\" and 1 more that vbuild did not make"),
            "{said}"
        );
        assert!(
            said.contains("hint: link ./.vbuild/cas to an empty folder"),
            "{said}"
        );
    }
    assert_eq!(
        snapshot(disk.path()),
        before,
        "nothing changed in the user's folder"
    );

    // `.vbuild/actions` linked to `/`: no folder is created there.
    std::fs::remove_file(dir.path().join(".vbuild/cas")).unwrap();
    symlink("/", dir.path().join(".vbuild/actions")).unwrap();
    let root_before: Vec<_> = std::fs::read_dir("/")
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    let output = vbuild(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let root_after: Vec<_> = std::fs::read_dir("/")
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(root_before.len(), root_after.len());

    // An empty folder is taken (and marked); later a user's file put in it is never removed, and gc -n
    // names every file it would remove.
    std::fs::remove_file(dir.path().join(".vbuild/actions")).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    symlink(fresh.path(), dir.path().join(".vbuild/cas")).unwrap();
    vbuild_ok(dir.path(), &[]);
    std::fs::write(fresh.path().join("notes.txt"), "mine").unwrap();
    let shard = std::fs::read_dir(fresh.path())
        .unwrap()
        .flatten()
        .find(|e| e.file_type().unwrap().is_dir())
        .unwrap()
        .path();
    std::fs::write(shard.join("draft.txt"), "mine too").unwrap();
    // An edit makes garbage.
    let lecture = dir.path().join("lecture.md");
    let text = std::fs::read_to_string(&lecture).unwrap();
    std::fs::write(&lecture, text.replace("pulls the sea", "pulls the oceans")).unwrap();
    vbuild_ok(dir.path(), &[]);
    let dry = String::from_utf8_lossy(&vbuild_ok(dir.path(), &["gc", "-n"]).stdout).to_string();
    let named = dry
        .lines()
        .filter(|l| l.starts_with("would remove .vbuild/"))
        .count();
    let counted: usize = dry
        .split("would remove ")
        .last()
        .and_then(|s| s.split(" entries, ").nth(1))
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(counted > 0, "{dry}");
    assert!(named >= counted, "every file is named:\n{dry}");
    vbuild_ok(dir.path(), &["gc"]);
    vbuild_ok(dir.path(), &["cache", "verify", "--repair"]);
    assert_eq!(
        std::fs::read_to_string(fresh.path().join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(shard.join("draft.txt")).unwrap(),
        "mine too"
    );
    vbuild_ok(dir.path(), &[]);
    assert_eq!(report(dir.path())["counts"]["ran"], 0);
}

#[test]
fn numbers_from_flags_are_checked_and_name_the_flag() {
    for days in ["-1", "NaN", "1e300", "inf", "ten"] {
        let ran = Test::new()
            .args(&["gc", &format!("--older-than={days}")])
            .status(2)
            .stderr_has("--older-than")
            .run();
        assert!(!ran.stderr.contains("internal error"), "{}", ran.stderr);
    }
    Test::new()
        .args(&["gc", "--older-than=0.5", "-n"])
        .stdout_has("vbuild: gc would remove 0 entries")
        .run();
}

#[test]
fn cache_verify_without_a_cache_says_there_is_none() {
    let ran = Test::new()
        .args(&["cache", "verify"])
        .stdout("vbuild: cache verify: there is no cache at .vbuild yet; nothing to check\n")
        .run();
    assert!(!ran.dir.path().join(".vbuild").exists());
}

#[test]
fn a_linked_folder_inside_the_output_folder_is_refused_never_written_through() {
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("01-tides.mp4"), "a user's file").unwrap();
    let before = snapshot(elsewhere.path());
    let dir = small_course();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    symlink(elsewhere.path(), dir.path().join("out/chapters")).unwrap();
    let output = vbuild(dir.path(), &[]);
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("out/chapters is a link to"), "{said}");
    assert!(said.contains("hint: remove"), "{said}");
    assert!(
        !dir.path().join(".vbuild/actions").exists(),
        "refused before any work"
    );
    assert_eq!(snapshot(elsewhere.path()), before);
    vbuild_ok(dir.path(), &["clean"]);
    assert_eq!(snapshot(elsewhere.path()), before);

    // Removed, the folder is made and the build goes on.
    std::fs::remove_file(dir.path().join("out/chapters")).unwrap();
    vbuild_ok(dir.path(), &[]);
    assert!(dir.path().join("out/chapters/01-tides.mp4").is_file());
}

#[test]
fn an_output_folder_that_is_a_file_or_inside_the_cache_is_refused_before_any_work() {
    for (output, why) in [
        ("Videofile", "that is a file, not a folder"),
        ("lecture.md", "that is a file, not a folder"),
        (".vbuild/cas", "that is inside vbuild's cache"),
        ("./.vbuild", "that is inside vbuild's cache"),
    ] {
        let dir = small_course();
        append_to_videofile(dir.path(), "");
        let path = dir.path().join("Videofile");
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replace(
            "sources = [\"lecture.md\"]",
            &format!("sources = [\"lecture.md\"]\noutput = \"{output}\""),
        );
        std::fs::write(&path, text).unwrap();
        let ran = Test::in_dir(dir)
            .status(2)
            .stderr_has(&format!(
                "Videofile:4:10: [course] output = \"{output}\": {why}"
            ))
            .run();
        assert!(
            !ran.dir.path().join(".vbuild").exists(),
            "{output}: nothing ran"
        );
    }
}
