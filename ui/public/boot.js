// Runs before the first paint (a classic script in <head>; the CSP allows no
// inline ones): the theme and language chosen last time, so the window never
// flashes light before turning dark. The app confirms both from its settings.
(function () {
  var root = document.documentElement;
  var theme = "system";
  var language = "system";
  try {
    theme = localStorage.getItem("outlast.theme") || theme;
    language = localStorage.getItem("outlast.language") || language;
  } catch (e) {
    /* no storage: the system's own */
  }
  if (theme !== "light" && theme !== "dark") {
    theme = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  root.setAttribute("data-theme", theme);
  var korean =
    language === "korean" || (language !== "english" && /^ko(-|$)/i.test(navigator.language || ""));
  root.setAttribute("lang", korean ? "ko" : "en");
})();
