/* The basket's running total: as the volunteer chooses quantities, the total in credits shows under the goods, and
   says when it is more than they can spend. The form works the same without this script (the server checks all). */
(function () {
  "use strict";
  var total = document.getElementById("basket-total");
  var available = document.getElementById("available");
  if (!total || !available) { return; }
  var selects = document.querySelectorAll("select[data-price]");
  var spendable = parseInt(available.dataset.available, 10);

  function credits(hundredths) {
    return (Math.floor(hundredths / 100)) + "." + ("0" + (hundredths % 100)).slice(-2);
  }

  function update() {
    var sum = 0;
    for (var i = 0; i < selects.length; i++) {
      sum += parseInt(selects[i].dataset.price, 10) * parseInt(selects[i].value || "0", 10);
    }
    var text = total.dataset.template.replace("%(total)s", credits(sum));
    if (sum > spendable) {
      text += " " + total.dataset.over.replace("%(available)s", credits(spendable));
    }
    total.textContent = text;
    total.classList.toggle("is-over", sum > spendable);
    total.hidden = sum === 0;
  }

  for (var i = 0; i < selects.length; i++) {
    selects[i].addEventListener("change", update);
  }
  update();
}());
