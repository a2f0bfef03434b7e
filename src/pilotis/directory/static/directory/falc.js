// The FALC sheet's print button (inline handlers are refused by the Content-Security-Policy).
document.querySelectorAll("[data-falc-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
