// Shows a configured field only while the field it depends on has one of the given
// values (visible_if). The server applies the same rule when saving.
(function () {
  function currentValues(name) {
    var inputs = document.querySelectorAll('[name="' + name + '"]');
    var values = [];
    inputs.forEach(function (input) {
      if (input.type === 'checkbox') { values.push(input.checked); }
      else if (input.type === 'radio') { if (input.checked) { values.push(input.value); } }
      else if (input.tagName === 'SELECT' && input.multiple) {
        Array.prototype.forEach.call(input.selectedOptions, function (o) { values.push(o.value); });
      } else { values.push(input.value); }
    });
    return values;
  }
  function update() {
    document.querySelectorAll('[data-visible-if-field]').forEach(function (el) {
      var wanted = JSON.parse(el.getAttribute('data-visible-if-values'));
      var have = currentValues(el.getAttribute('data-visible-if-field'));
      var shown = have.some(function (v) { return wanted.indexOf(v) !== -1; });
      var group = el.closest('.form-group') || el;
      group.style.display = shown ? '' : 'none';
    });
  }
  document.addEventListener('change', update);
  document.addEventListener('DOMContentLoaded', update);
})();
