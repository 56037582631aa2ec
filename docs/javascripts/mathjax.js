// MathJax 3 (the bundled tex-svg-full component, see mathjax/README.md) for
// pymdownx.arithmatex in generic mode: typeset only the arithmatex spans. MathJax's startup
// typesets the page it loads with; after an instant-navigation page change of
// mkdocs-material, typeset again.
window.MathJax = {
  tex: {
    // The packages of MathJax's standard TeX input, as in its tex-svg component: the full
    // component enables every package by default, and textmacros, for one, makes "_" an
    // error inside \text{}. The other extensions are in the file, for autoload to use.
    packages: ["base", "ams", "newcommand", "noundefined", "require", "autoload", "configmacros"],
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams",
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
};

let firstPage = true;
document$.subscribe(() => {
  if (firstPage) {
    firstPage = false;
    return;
  }
  MathJax.startup.output.clearFontCache();
  MathJax.typesetClear();
  MathJax.texReset();
  MathJax.typesetPromise();
});
