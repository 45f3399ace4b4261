// Swagger UI 5 (swagger-ui-dist 5.35.0, Apache-2.0, served from here: /docs works offline and
// under the app's CSP, which allows no inline script)
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
