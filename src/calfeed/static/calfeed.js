// calfeed — small enhancements; every page works without this script.
(function () {
  "use strict";

  function subscribeLinks(url, name) {
    var rest = url.replace(/^https?:\/\//, "");
    var query = "url=" + encodeURIComponent(url) + "&name=" + encodeURIComponent(name);
    return {
      https: url,
      webcal: "webcal://" + rest,
      outlook365: "https://outlook.office.com/calendar/0/addfromweb?" + query,
      outlookcom: "https://outlook.live.com/calendar/0/addfromweb?" + query,
      google: "https://calendar.google.com/calendar/r?cid=" + encodeURIComponent(url)
    };
  }

  function setLinks(block, url) {
    var links = subscribeLinks(url, block.getAttribute("data-name") || "");
    block.querySelectorAll("[data-lien]").forEach(function (element) {
      var kind = element.getAttribute("data-lien");
      if (kind === "https") { element.value = url; return; }
      if (kind === "download") { element.href = url; return; }
      if (kind === "import") { element.href = url + (url.indexOf("?") < 0 ? "?" : "&") + "usage=import"; return; }
      if (links[kind]) { element.href = links[kind]; }
    });
  }

  // A static copy published without its address (publish.base_url): build the subscribe links
  // from where the page is actually served.
  if (/^https?:$/.test(location.protocol)) {
    document.querySelectorAll(".abonnement").forEach(function (block) {
      var download = block.querySelector("a[data-lien=download]");
      if (block.querySelector("[data-lien=webcal]") || !download) { return; }
      var links = subscribeLinks(download.href, block.getAttribute("data-name") || "");
      var row = block.querySelector(".boutons");
      [["outlook365", "Outlook (web / 365)"], ["outlookcom", "Outlook.com"], ["google", "Google Agenda"],
       ["webcal", "Apple, Thunderbird, Outlook classique"]].forEach(function (pair) {
        var link = document.createElement("a");
        link.className = "bouton";
        link.href = links[pair[0]];
        link.textContent = pair[1];
        link.setAttribute("data-lien", pair[0]);
        row.insertBefore(link, download);
      });
      var address = block.querySelector("input[data-lien=https]");
      if (address) { address.value = download.href; address.parentNode.hidden = false; }
      var note = block.querySelector(".note");
      if (note) { note.textContent = address ? "" : "Adresse de l'agenda : " + download.href; }
    });
  }

  // Copy an address to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copier");
    if (!button) { return; }
    var input = document.getElementById(button.getAttribute("data-copie"));
    var status = button.parentNode.querySelector(".copie-faite");
    var done = function () { if (status) { status.textContent = "Adresse copiée."; } };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.select();
      document.execCommand("copy");
      done();
    }
  });

  // Criteria: values of one group add up, groups combine; a hybrid event counts for both formats.
  function chosen(form) {
    var result = {};
    form.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      (result[box.name] = result[box.name] || []).push(box.value);
    });
    return result;
  }

  function matches(criteria, data) {
    return Object.keys(criteria).every(function (key) {
      var wanted = criteria[key];
      var have = data[key] || [];
      return wanted.some(function (value) { return have.indexOf(value) >= 0; });
    });
  }

  function query(criteria) {
    var parts = [];
    ["categorie", "theme", "region", "format"].forEach(function (key) {
      (criteria[key] || []).slice().sort().forEach(function (value) {
        parts.push(key + "=" + encodeURIComponent(value));
      });
    });
    return parts.join("&");
  }

  // Feed builder: count and address update as boxes are ticked.
  var builder = document.getElementById("constructeur");
  var block = document.querySelector("#abonnement-selection .abonnement");
  if (builder && block) {
    var source = builder.getAttribute("action").replace(/constructeur\.html.*$/, "tous.json");
    var address = block.querySelector("[data-lien=https]");
    var prefix = address ? address.value.replace(/selection\.ics.*$/, "") : null;
    fetch(source).then(function (response) { return response.json(); }).then(function (feed) {
      var events = feed.evenements.map(function (e) {
        return { categorie: [e.categorie], theme: e.themes, region: [e.lieu.region],
                 format: e.format === "hybride" ? ["presentiel", "en-ligne", "hybride"] : [e.format] };
      });
      var update = function () {
        var criteria = chosen(builder);
        var count = events.filter(function (data) { return matches(criteria, data); }).length;
        var number = document.getElementById("nombre");
        if (number) { number.textContent = count; }
        if (prefix) {
          var q = query(criteria);
          setLinks(block, prefix + "selection.ics" + (q ? "?" + q : ""));
        }
      };
      builder.addEventListener("change", update);
    }).catch(function () { /* keep the plain form */ });
  }

  // Event list: filter in place as boxes are ticked or words typed.
  var filters = document.getElementById("filtres");
  if (filters) {
    var articles = Array.prototype.slice.call(document.querySelectorAll("#choix article.evenement"));
    var counter = document.getElementById("compte-evenements");
    var refresh = function () {
      var criteria = chosen(filters);
      var words = (filters.querySelector("#q").value || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").split(/\s+/).filter(Boolean);
      var shown = 0;
      articles.forEach(function (article) {
        var data = {
          categorie: [article.getAttribute("data-categorie")],
          theme: (article.getAttribute("data-themes") || "").split(" "),
          region: [article.getAttribute("data-region")],
          format: (article.getAttribute("data-formats") || "").split(" ")
        };
        var text = article.textContent.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
        var visible = matches(criteria, data) && words.every(function (w) { return text.indexOf(w) >= 0; });
        article.hidden = !visible;
        if (visible) { shown += 1; }
      });
      if (counter) { counter.textContent = shown + " événement" + (shown > 1 ? "s" : "") + " sur " + articles.length + "."; }
    };
    filters.addEventListener("change", refresh);
    filters.addEventListener("input", refresh);
  }
})();
