// Progressive enhancement: show the self-assessment form one step at a time.
// Without JavaScript every step is shown and the form works the same.
(function () {
  var form = document.getElementById("assess-form");
  if (!form) return;
  var steps = Array.prototype.slice.call(form.querySelectorAll("fieldset.step"));
  var nav = Array.prototype.slice.call(form.querySelectorAll(".steps-nav li"));
  var submit = document.getElementById("submit");
  var current = 0;
  var invalid = form.querySelector(".field.invalid");
  if (invalid) current = steps.indexOf(invalid.closest("fieldset.step"));
  document.documentElement.classList.add("js");
  function show(i) {
    current = i;
    steps.forEach(function (s, k) { s.classList.toggle("current", k === i); });
    nav.forEach(function (n, k) { n.classList.toggle("current", k === i); });
    prev.hidden = i === 0;
    next.hidden = i === steps.length - 1;
    submit.hidden = i !== steps.length - 1;
  }
  var bar = document.createElement("div");
  bar.className = "actions";
  var prev = document.createElement("button");
  prev.type = "button"; prev.textContent = "上一步"; prev.id = "prev";
  var next = document.createElement("button");
  next.type = "button"; next.textContent = "下一步"; next.id = "next";
  prev.addEventListener("click", function () { show(Math.max(0, current - 1)); });
  next.addEventListener("click", function () { show(Math.min(steps.length - 1, current + 1)); });
  bar.appendChild(prev); bar.appendChild(next);
  submit.parentNode.insertBefore(bar, submit);
  nav.forEach(function (n, k) { n.addEventListener("click", function () { show(k); }); });
  show(current < 0 ? 0 : current);
})();
// Drag-and-drop onto the upload box.
(function () {
  var box = document.querySelector(".drop");
  var input = document.getElementById("file");
  if (!box || !input) return;
  ["dragenter", "dragover"].forEach(function (e) {
    box.addEventListener(e, function (ev) { ev.preventDefault(); box.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (e) {
    box.addEventListener(e, function (ev) { ev.preventDefault(); box.classList.remove("over"); });
  });
  box.addEventListener("drop", function (ev) { input.files = ev.dataTransfer.files; });
})();
// Drafts: the form is saved a moment after each change, on the server when signed in
// (POST /assess/draft), else in this browser (localStorage). A result page clears the
// browser's draft; the server clears its own when the form is submitted.
(function () {
  var form = document.getElementById("assess-form");
  var storageKey = "tiering-draft:";
  if (!form) {
    if (document.querySelector("[data-draft-done]")) {
      try {
        Object.keys(localStorage).forEach(function (k) {
          if (k.indexOf(storageKey) === 0) localStorage.removeItem(k);
        });
      } catch (e) { /* storage disabled: nothing kept */ }
    }
    return;
  }
  var where = form.getAttribute("data-draft");
  var key = storageKey + form.getAttribute("data-draft-key");
  var status = document.getElementById("draft-status");
  var timer = null;
  function values() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "checkbox" || el.type === "submit") return;
      if (el.value && el.value.trim()) out[el.name] = el.value;
    });
    return out;
  }
  function stamp() {
    var d = new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  function save() {
    var data = values();
    if (where === "server") {
      var body = new URLSearchParams();
      body.append("csrf_token", form.elements["csrf_token"].value);
      if (form.elements["firm_id"]) body.append("firm_id", form.elements["firm_id"].value);
      Object.keys(data).forEach(function (k) { body.append(k, data[k]); });
      fetch("/assess/draft", { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) {
          status.textContent = r.ok ? "草稿已自动保存到账户（" + stamp() + "）" : "草稿未能保存（请刷新页面或重新登录）";
        })
        .catch(function () { status.textContent = "草稿未能保存（网络问题）"; });
      return;
    }
    try {
      localStorage.setItem(key, JSON.stringify({ at: new Date().toISOString(), values: data }));
      status.textContent = "草稿已保存在本浏览器（" + stamp() + "）";
    } catch (e) { /* storage disabled or full: the form still works */ }
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(save, 600);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  if (where !== "local" || form.getAttribute("data-has-values") === "1") return;
  var saved = null;
  try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
  if (!saved || !saved.values || !Object.keys(saved.values).length) return;
  Object.keys(saved.values).forEach(function (name) {
    var el = form.elements[name];
    if (el && !el.value) el.value = saved.values[name];
  });
  var note = document.createElement("p");
  note.className = "notice";
  note.id = "draft-notice";
  note.textContent = "已恢复本浏览器中 " + new Date(saved.at).toLocaleString("zh-CN") + " 保存的草稿。 ";
  var clear = document.createElement("button");
  clear.type = "button";
  clear.textContent = "清除草稿";
  clear.addEventListener("click", function () {
    localStorage.removeItem(key);
    form.reset();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.type !== "hidden" && el.type !== "submit" && el.type !== "checkbox") el.value = "";
    });
    note.remove();
  });
  note.appendChild(clear);
  form.parentNode.insertBefore(note, form);
})();
