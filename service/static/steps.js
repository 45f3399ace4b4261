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
