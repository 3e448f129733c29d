// Loaded in <head> before the page is drawn, so a dark theme never flashes light (no inline scripts: CSP).
"use strict";
document.documentElement.dataset.theme = localStorage.getItem("oh-theme") || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
