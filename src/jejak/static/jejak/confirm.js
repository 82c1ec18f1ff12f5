// A button with data-confirm asks before its form is sent: for what cannot be undone
// (designating every contact, removing a family member). Without script the form is
// sent as before; the server's own checks still apply.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
