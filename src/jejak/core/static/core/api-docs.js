// Starts Swagger UI on /api/v1/docs with the settings the page carries. A signed-in
// browser's writes need the CSRF token, which the page carries too.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrf = document.body.dataset.csrfToken;
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  config.requestInterceptor = function (request) {
    if (csrf) { request.headers["X-CSRFToken"] = csrf; }
    return request;
  };
  SwaggerUIBundle(config);
})();
