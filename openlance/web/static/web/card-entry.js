// Stripe Elements in Openlance's payment forms (billing/_pay_with.html): the card goes from
// the browser to Stripe, and only the PaymentMethod id Stripe answers with is posted here.
(function () {
  "use strict";
  var mounted = new WeakMap();

  function mount(root) {
    if (typeof Stripe === "undefined") return;
    root.querySelectorAll("[data-stripe-card]").forEach(function (holder) {
      if (mounted.has(holder)) return;
      var stripe = Stripe(holder.dataset.stripeKey);
      var card = stripe.elements().create("card");
      card.mount(holder);
      mounted.set(holder, { stripe: stripe, card: card });
    });
  }

  if (window.openlanceCardEntry) return;
  window.openlanceCardEntry = true;
  window.addEventListener("load", function () { mount(document); });
  document.addEventListener("htmx:load", function (event) { mount(event.target); });
  // Capturing on the document runs before htmx's own submit handler on the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var holder = form.querySelector("[data-stripe-card]");
    var chosen = form.querySelector("input[name$='pay_with']:checked");
    var token = form.querySelector("input[name$='card_token']");
    if (!holder || !chosen || chosen.value !== "new" || !token || token.value) return;
    event.preventDefault();
    event.stopPropagation();
    var state = mounted.get(holder);
    var errors = form.querySelector("[data-stripe-errors]");
    if (!state) { errors.textContent = "The card form did not load; reload the page."; return; }
    state.stripe.createPaymentMethod({ type: "card", card: state.card }).then(function (result) {
      if (result.error) { errors.textContent = result.error.message; return; }
      errors.textContent = "";
      token.value = result.paymentMethod.id;
      form.requestSubmit(event.submitter || undefined);
    });
  }, true);
})();
