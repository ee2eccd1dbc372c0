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
  // A hidden field is not required in the browser (the server forgives it too), or the
  // browser would refuse to send the form over a control the user cannot see.
  function setShown(el, shown) {
    var group = el.closest('.form-group') || el;
    group.style.display = shown ? '' : 'none';
    group.querySelectorAll('input, select, textarea').forEach(function (input) {
      if (!shown && input.required) {
        input.required = false;
        input.setAttribute('data-kyodo-required', '');
      } else if (shown && input.hasAttribute('data-kyodo-required')) {
        input.required = true;
        input.removeAttribute('data-kyodo-required');
      }
    });
  }
  function update() {
    var hidden = {};
    var fields = document.querySelectorAll('[data-visible-if-field]');
    // A field whose condition depends on a hidden field is hidden too; repeat until settled.
    for (var pass = 0; pass <= fields.length; pass++) {
      var changed = false;
      fields.forEach(function (el) {
        var target = el.getAttribute('data-visible-if-field');
        var wanted = JSON.parse(el.getAttribute('data-visible-if-values'));
        var shown = !hidden[target] && currentValues(target).some(function (v) {
          return wanted.indexOf(v) !== -1;
        });
        var name = el.id || el.getAttribute('name');
        if (!!hidden[name] !== !shown) { changed = true; }
        hidden[name] = !shown;
        setShown(el, shown);
      });
      if (!changed) { break; }
    }
  }
  document.addEventListener('change', update);
  document.addEventListener('DOMContentLoaded', update);
})();

// 「＋ 行を追加」 under a table field: a copy of the last row, emptied, with the next row
// number in its input names (answers__lines-3-item); up to the table's maximum rows.
(function () {
  function addRow(button) {
    var table = document.getElementById(button.getAttribute('data-table'));
    var rows = table.tBodies[0].rows;
    var max = parseInt(table.getAttribute('data-max-rows'), 10);
    if (!rows.length || (max && rows.length >= max)) { return; }
    var last = rows[rows.length - 1];
    var copy = last.cloneNode(true);
    var index = rows.length;
    copy.querySelectorAll('input, select, textarea').forEach(function (input) {
      ['name', 'id'].forEach(function (attr) {
        var value = input.getAttribute(attr);
        if (value) { input.setAttribute(attr, value.replace(/-\d+-([^-]+)$/, '-' + index + '-$1')); }
      });
      var label = input.getAttribute('data-cell-label');
      if (label) { input.setAttribute('aria-label', label.replace('{n}', index + 1)); }
      if (input.type === 'checkbox') { input.checked = false; } else { input.value = ''; }
      input.classList.remove('is-invalid');
      input.removeAttribute('aria-invalid');
    });
    copy.querySelectorAll('.invalid-feedback').forEach(function (el) { el.remove(); });
    last.parentNode.appendChild(copy);
    button.hidden = !!max && rows.length >= max;
  }
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('.kyodo-add-row').forEach(function (button) {
      var table = document.getElementById(button.getAttribute('data-table'));
      var max = parseInt(table.getAttribute('data-max-rows'), 10);
      button.hidden = !!max && table.tBodies[0].rows.length >= max;
      button.addEventListener('click', function () { addRow(button); });
    });
  });
})();

// Forms that ask first (data-confirm on the form or on the button pressed: workflow buttons,
// the form builder's publish and retire, the import) and the workflow's shared comment box
// sent with whichever button is pressed. No inline handlers.
(function () {
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute('data-confirm')) ||
      (form.getAttribute && form.getAttribute('data-confirm'));
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (!form.classList || !form.classList.contains('kyodo-transition')) { return; }
    var comment = document.getElementById('transition-comment');
    var own = form.querySelector('input[name=comment]');
    // A transition that asks for its reason has a box of its own; the others take the shared one.
    if (comment && own && own.type === 'hidden') { own.value = comment.value; }
  });
})();

// The date pickers of list filters (bootstrap-daterangepicker) in Japanese: its buttons and
// calendar are hard-coded in English, so every picker gets a Japanese locale unless the user
// chose English.
document.addEventListener('DOMContentLoaded', function () {
  var lang = document.querySelector('meta[name="kyodo-lang"]');
  var $ = window.jQuery;
  if ((lang && lang.content === 'en') || !$ || !$.fn.daterangepicker) { return; }
  var original = $.fn.daterangepicker;
  var japanese = {
    applyLabel: '適用', cancelLabel: 'キャンセル', fromLabel: '開始', toLabel: '終了',
    weekLabel: '週', customRangeLabel: '期間を指定',
    daysOfWeek: ['日', '月', '火', '水', '木', '金', '土'],
    monthNames: ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月'],
    firstDay: 0
  };
  $.fn.daterangepicker = function (options, callback) {
    options = $.extend({}, options || {});
    options.locale = $.extend({}, japanese, options.locale || {});
    return original.call(this, options, callback);
  };
});

// A select that submits its form when changed (data-autosubmit: the scoring screen's member).
document.addEventListener('change', function (event) {
  if (event.target.hasAttribute && event.target.hasAttribute('data-autosubmit')) {
    event.target.form.submit();
  }
});

// Clicks that inline handlers used to do (the Content-Security-Policy runs none): selector ->
// what it does. 「印刷する」; Flask-Admin's 「追加」 of an inline row, its bulk actions (「選択」
// menu) and its filter menu (its own script adds the filter; the link must not navigate).
(function () {
  var CLICKS = [
    ['[data-print]', function () { window.print(); }],
    ['[data-inline-add]', function (el) {
      if (window.faForm) { window.faForm.addInlineField(el, el.getAttribute('data-inline-add')); }
    }],
    ['[data-model-action]', function (el) {
      if (window.modelActions) { window.modelActions.execute(el.getAttribute('data-model-action')); }
    }],
    ['a.filter[href="#"]', function () {}]
  ];
  document.addEventListener('click', function (event) {
    if (!event.target.closest) { return; }
    CLICKS.forEach(function (entry) {
      var el = event.target.closest(entry[0]);
      if (!el) { return; }
      if (el.tagName === 'A') { event.preventDefault(); }
      entry[1](el);
    });
  });
})();

// Select2's own messages in Japanese (the search fields over proposals, projects…), unless
// the user chose English (Select2's own).
(function () {
  var $ = window.jQuery;
  var lang = document.querySelector('meta[name="kyodo-lang"]');
  if ((lang && lang.content === 'en') || !$ || !$.fn || !$.fn.select2 || !$.fn.select2.defaults) { return; }
  $.extend($.fn.select2.defaults, {
    formatNoMatches: function () { return '見つかりません。別の語で検索してください。'; },
    formatSearching: function () { return '検索しています…'; },
    formatLoadMore: function () { return 'さらに読み込んでいます…'; },
    formatInputTooShort: function (input, min) { return (min - input.length) + '文字以上入力してください。'; }
  });
})();

// Flask-Admin's filter rows (made by its filters.js, also when a filter is added) get names a
// screen reader reads: 「状態の条件」「状態」 (WCAG 2.1 4.1.2).
document.addEventListener('DOMContentLoaded', function () {
  var lang = document.querySelector('meta[name="kyodo-lang"]');
  var english = lang && lang.content === 'en';
  function name(table) {
    table.querySelectorAll('tr').forEach(function (row) {
      var link = row.querySelector('.remove-filter');
      if (!link) { return; }
      var title = link.textContent.replace('×', '').trim();
      link.setAttribute('aria-label', english ? 'Remove the filter ' + title : title + 'の絞り込みを外す');
      row.querySelectorAll('select.filter-op').forEach(function (op) {
        op.setAttribute('aria-label', english ? title + ' condition' : title + 'の条件');
      });
      row.querySelectorAll('.filter-val').forEach(function (value) {
        value.setAttribute('aria-label', title);
      });
    });
  }
  document.querySelectorAll('table.filters').forEach(function (table) {
    name(table);
    new MutationObserver(function () { name(table); }).observe(table, {childList: true, subtree: true});
  });
});

// After a failed send, the summary of errors at the top takes the focus (a screen reader
// reads it; its links lead to each field).
document.addEventListener('DOMContentLoaded', function () {
  var summary = document.getElementById('error-summary');
  if (summary) { summary.focus(); }
});
