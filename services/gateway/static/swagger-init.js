// Starts Swagger UI on /api/docs. A file of its own, not an inline script, so that the page's
// Content-Security-Policy can allow scripts from the gateway only ('self', no 'unsafe-inline').
// persistAuthorization keeps a bearer token entered under "Authorize" across reloads.
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: true,
});
