//! Whole-chart tests of the renderer: Go template semantics, Helm objects and values, limits,
//! and origins.

use super::super::{ChartFile, Release, RenderError, Rendered, render_chart};
use crate::source::Loc;

const CHART: &str = "apiVersion: v2\nname: web\nversion: 1.2.3\nappVersion: \"2.0\"\n";

fn files<'a>(list: &'a [(&'a str, &'a str)]) -> Vec<ChartFile<'a>> {
    list.iter()
        .enumerate()
        .map(|(i, (path, text))| ChartFile {
            path,
            text,
            file: i as u32,
        })
        .collect()
}

fn render_with(
    list: &[(&str, &str)],
    values_files: &[String],
) -> Result<Vec<Rendered>, RenderError> {
    let release = Release {
        values_files,
        ..Release::default()
    };
    render_chart("", &files(list), &release)
}

/// The output of `templates/t.yaml` in a chart with `values`.
fn one(values: &str, template: &str) -> String {
    let list = [
        ("Chart.yaml", CHART),
        ("values.yaml", values),
        ("templates/t.yaml", template),
    ];
    match render_with(&list, &[]) {
        Ok(r) => r.first().map(|r| r.text.clone()).unwrap_or_default(),
        Err(e) => format!("error: {}", e.message),
    }
}

#[test]
fn actions_trim_and_control_flow() {
    assert_eq!(
        one("a: 1", "x: {{ .Values.a }}\ny:   {{- \" z\" }}"),
        "x: 1\ny: z"
    );
    assert_eq!(
        one("on: true", "{{ if .Values.on }}yes{{ else }}no{{ end }}"),
        "yes"
    );
    assert_eq!(
        one(
            "n: 0",
            "{{ if .Values.n }}a{{ else if not .Values.n }}b{{ end }}"
        ),
        "b"
    );
    assert_eq!(
        one(
            "l: [a, b]",
            "{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }};{{ end }}"
        ),
        "0=a;1=b;"
    );
    assert_eq!(
        one(
            "m: {b: 2, a: 1}",
            "{{ range $k, $v := .Values.m }}{{ $k }}{{ $v }}{{ end }}"
        ),
        "a1b2"
    );
    assert_eq!(
        one("l: []", "{{ range .Values.l }}x{{ else }}empty{{ end }}"),
        "empty"
    );
    assert_eq!(
        one(
            "l: [1,2,3,4]",
            "{{ range .Values.l }}{{ if eq (int .) 2 }}{{ continue }}{{ end }}{{ if eq (int .) 4 }}{{ break }}{{ end }}{{ . }}{{ end }}"
        ),
        "13"
    );
    assert_eq!(
        one(
            "w: {x: 5}",
            "{{ with .Values.w }}{{ .x }}{{ $.Chart.Name }}{{ end }}{{ with .Values.none }}n{{ else }}e{{ end }}"
        ),
        "5webe"
    );
    assert_eq!(
        one(
            "",
            "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}"
        ),
        "2"
    );
    assert_eq!(one("", "{{/* gone */}}a{{- /* trimmed */ -}} b"), "ab");
}

#[test]
fn defines_includes_and_tpl() {
    let t = "{{- define \"web.name\" -}}{{ .Chart.Name }}-{{ .Values.suffix }}{{- end -}}\nname: {{ include \"web.name\" . | upper }}\nt: {{ template \"web.name\" . }}\ntpl: {{ tpl .Values.tmpl . }}";
    assert_eq!(
        one("suffix: s\ntmpl: '{{ .Values.suffix }}!'", t),
        "name: WEB-S\nt: web-s\ntpl: s!"
    );
    assert_eq!(
        one("", "{{ include \"nope\" . }}"),
        "error: template \"nope\" not defined"
    );
    assert!(
        one(
            "",
            "{{ define \"loop\" }}{{ include \"loop\" . }}{{ end }}{{ include \"loop\" . }}"
        )
        .contains("nesting deeper")
    );
    assert_eq!(one("", "{{ block \"b\" . }}default{{ end }}"), "default");
}

#[test]
fn helm_objects() {
    assert_eq!(
        one(
            "",
            "{{ .Release.Name }} {{ .Release.Namespace }} {{ .Release.Service }} {{ .Release.IsInstall }} {{ .Release.Revision }}"
        ),
        "release-name default Helm true 1"
    );
    assert_eq!(
        one(
            "",
            "{{ .Chart.Name }} {{ .Chart.Version }} {{ .Chart.AppVersion }} {{ .Chart.APIVersion }}"
        ),
        "web 1.2.3 2.0 v2"
    );
    assert_eq!(
        one("", "{{ .Template.Name }} {{ .Template.BasePath }}"),
        "web/templates/t.yaml web/templates"
    );
    assert_eq!(
        one(
            "",
            "{{ .Capabilities.APIVersions.Has \"apps/v1\" }} {{ .Capabilities.APIVersions.Has \"x/v9\" }} {{ .Capabilities.KubeVersion.Minor }}"
        ),
        "true false 30"
    );
    assert_eq!(
        one("", "{{ lookup \"v1\" \"Secret\" \"ns\" \"n\" | len }}"),
        "0"
    );
}

#[test]
fn values_semantics() {
    assert_eq!(
        one(
            "big: 1000000\nf: 1.5",
            "{{ .Values.big }} {{ .Values.f }} {{ int .Values.big }}"
        ),
        "1e+06 1.5 1000000"
    );
    assert_eq!(one("", "[{{ .Values.missing }}]"), "[]");
    assert!(
        one("", "{{ .Values.missing.deeper }}")
            .contains("nil pointer evaluating interface {}.deeper")
    );
    assert_eq!(
        one("", "{{ required \"need x\" .Values.x }}"),
        "error: execution error: need x"
    );
    assert_eq!(
        one("", "{{ fail \"boom\" }}"),
        "error: execution error: boom"
    );
    assert_eq!(
        one("", "{{ nosuch 1 }}"),
        "error: function \"nosuch\" not defined"
    );
    assert_eq!(
        one(
            "d: {}",
            "{{ $_ := set .Values.d \"k\" \"v\" }}{{ .Values.d.k }}"
        ),
        "v"
    );
}

#[test]
fn files_object() {
    let list = [
        ("Chart.yaml", CHART),
        ("conf/a.conf", "alpha\nline2"),
        ("conf/b.conf", "beta"),
        (
            "templates/t.yaml",
            "{{ .Files.Get \"conf/b.conf\" }}|{{ range .Files.Lines \"conf/a.conf\" }}<{{ . }}>{{ end }}|{{ (.Files.Glob \"conf/*\").AsConfig | nindent 2 }}",
        ),
    ];
    let out = render_with(&list, &[]).map(|r| r[0].text.clone());
    assert_eq!(
        out.as_deref(),
        Ok("beta|<alpha><line2>|\n  a.conf: |-\n    alpha\n    line2\n  b.conf: beta")
    );
}

#[test]
fn subcharts_globals_and_values_files() {
    let list = [
        (
            "Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- name: db\n  condition: db.enabled\n- name: off\n  condition: off.enabled\n",
        ),
        (
            "values.yaml",
            "global: {env: prod}\ndb: {size: 5}\noff: {enabled: false}\nname: base\n",
        ),
        ("prod.yaml", "name: override\ndb: {size: 9}\n"),
        (
            "templates/a.yaml",
            "name: {{ .Values.name }}\ndbsize: {{ .Values.db.size }} {{ .Values.db.port }}",
        ),
        (
            "charts/db/Chart.yaml",
            "apiVersion: v2\nname: db\nversion: 0.1.0\n",
        ),
        (
            "charts/db/values.yaml",
            "size: 1\nport: 5432\nglobal: {env: dev, own: x}\n",
        ),
        (
            "charts/db/templates/s.yaml",
            "size: {{ .Values.size }} env: {{ .Values.global.env }} own: {{ .Values.global.own }} {{ .Chart.Name }} {{ .Template.Name }}",
        ),
        (
            "charts/off/Chart.yaml",
            "apiVersion: v2\nname: off\nversion: 0.1.0\n",
        ),
        ("charts/off/templates/s.yaml", "off: rendered"),
    ];
    let Ok(out) = render_with(&list, &["prod.yaml".to_owned()]) else {
        panic!("render failed");
    };
    let texts: Vec<(&str, &str)> = out
        .iter()
        .map(|r| (r.template.as_str(), r.text.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            (
                "charts/db/templates/s.yaml",
                "size: 9 env: prod own: x db app/charts/db/templates/s.yaml"
            ),
            ("templates/a.yaml", "name: override\ndbsize: 9 5432"),
        ]
    );
}

#[test]
fn partials_notes_and_empty_output_are_skipped_and_archives_fail() {
    let list = [
        ("Chart.yaml", CHART),
        ("templates/_helpers.tpl", "{{ define \"x\" }}x{{ end }}"),
        ("templates/NOTES.txt", "notes"),
        (
            "templates/off.yaml",
            "{{ if false }}kind: X{{ end }}\n# just a comment\n",
        ),
        ("templates/on.yaml", "kind: {{ include \"x\" . }}"),
    ];
    let out =
        render_with(&list, &[]).map(|r| r.into_iter().map(|r| r.template).collect::<Vec<_>>());
    assert_eq!(out, Ok(vec!["templates/on.yaml".to_owned()]));
    let tgz = [("Chart.yaml", CHART), ("charts/db-1.0.0.tgz", "")];
    assert!(render_with(&tgz, &[]).is_err_and(|e| e.message.contains("charts/db-1.0.0.tgz")));
}

#[test]
fn to_yaml_lines_point_at_their_values() {
    let values = "securityContext:\n  privileged: true\n  runAsUser: 1000\n";
    let template =
        "spec:\n  securityContext:\n    {{- toYaml .Values.securityContext | nindent 4 }}\n";
    let list = [
        ("Chart.yaml", CHART),
        ("values.yaml", values),
        ("templates/t.yaml", template),
    ];
    let Ok(out) = render_with(&list, &[]) else {
        panic!("render failed");
    };
    let r = &out[0];
    assert_eq!(
        r.text,
        "spec:\n  securityContext:\n    privileged: true\n    runAsUser: 1000\n"
    );
    let at = |needle: &str| r.text.find(needle).map(|i| i as u32);
    let Some(value_at) = at("true") else {
        panic!("no value");
    };
    let privileged_value = values.find("true").unwrap_or(0);
    assert_eq!(
        r.origin_at(value_at),
        Some((Loc::new(1, privileged_value, privileged_value + 4), false))
    );
    let key = values.find("privileged").unwrap_or(0);
    assert_eq!(
        r.origin_at(at("privileged").unwrap_or(0)),
        Some((Loc::new(1, key, key + 10), false))
    );
    // A literal line maps exactly to the template.
    let spec = r.origin_at(0);
    assert_eq!(spec, Some((Loc::new(2, 0, 1), true)));
    let literal = at("securityContext").unwrap_or(0);
    assert_eq!(
        r.origin_at(literal),
        Some((Loc::new(2, literal as usize, literal as usize + 1), true))
    );
    // Origins are sorted, disjoint and cover every non-space byte.
    for w in r.origins.windows(2) {
        assert!(w[0].out.end <= w[1].out.start);
    }
    for (i, c) in r.text.char_indices() {
        if !c.is_whitespace() {
            assert!(r.origin_at(i as u32).is_some(), "byte {i} has no origin");
        }
    }
}

#[test]
fn computed_output_points_at_its_action() {
    let template = "name: {{ printf \"%s-%s\" .Release.Name \"x\" | upper }}\n";
    let list = [("Chart.yaml", CHART), ("templates/t.yaml", template)];
    let Ok(out) = render_with(&list, &[]) else {
        panic!("render failed");
    };
    let r = &out[0];
    let Some((loc, exact)) = r.origin_at(7) else {
        panic!("no origin");
    };
    assert!(!exact);
    assert_eq!(loc.file, 1);
    assert!(loc.span.start >= 6 && loc.span.end <= template.len() as u32);
}

#[test]
fn hostile_templates_fail_cleanly() {
    for t in [
        "{{ range $i := until 100000000 }}x{{ end }}",
        "{{ $s := \"xxxxxxxxxxxxxxxx\" }}{{ range until 30 }}{{ $s = cat $s $s }}{{ end }}{{ $s }}",
        "{{ if }}",
        "{{ index (list 1) 5 }}",
        "{{ slice \"abc\" 2 1 }}",
        "{{ 1 2 }}",
        "{{ $undefined }}",
        "{{ template \"t\" }}",
        "{{ .Values.x.y.z }}",
        "{{ repeat 100000000 \"abc\" | len }}",
        "{{ (list 1 2).x }}",
    ] {
        let out = one("", t);
        assert!(
            out.starts_with("error") || out.len() <= 16 << 20,
            "{t}: {}",
            &out[..out.len().min(80)]
        );
    }
}
