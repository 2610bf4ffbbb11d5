// calfeed — enhancements; every page works without this script. It keeps no copy of a rule: the page gives
// them as data (<script id="calfeed-data">, script_data.page_data: sentences, addresses, criteria, clients)
// and evenements.json gives each event as the pages filter and show it (script_data.events_data).
(function () {
  "use strict";

  // ---- Applying the data. Pure functions: tests/test_script_data.py runs them under node and compares
  // them with the Python they are given the data of.
  function rules(data, folding) {
    var own = function (object, key) { return Object.prototype.hasOwnProperty.call(object, key); };
    // {name} replaced in one pass, as script_data.fill.
    function fill(template, values) {
      return template.replace(/\{(\w+)\}/g, function (found, key) { return own(values, key) ? String(values[key]) : found; });
    }
    // A sentence with a number: the server gives the forms of 0, 1 and any other number, French-spaced.
    function say(name, count, values) {
      var forms = data.phrases[name];
      return fill(own(forms, String(count)) ? forms[String(count)] : forms.n, Object.assign({n: count}, values || {}));
    }
    // Percent-encoding as Python's quote(value, safe=""): encodeURIComponent leaves ! ' ( ) * as they are.
    function encode(value) {
      return encodeURIComponent(value).replace(/[!'()*]/g, function (c) { return "%" + c.charCodeAt(0).toString(16).toUpperCase(); });
    }
    // Each client's link to the feed at `url`, from the server's templates (links.CLIENTS), as links.fill.
    function subscribeLinks(url, name) {
      var values = {url: url, host_path: url.replace(/^[^:\/]*:\/\//, ""), name: name};
      var links = {https: url};
      data.clients.forEach(function (client) {
        links[client.key] = client.template.replace(/\{(url|host_path|name)(_q)?\}/g, function (found, key, encoded) {
          return encoded ? encode(values[key]) : values[key];
        });
      });
      return links;
    }
    // `address` with one more query pair, serialised as Python's urlencode serialises a query.
    function withPair(address, key, value) {
      var at = address.indexOf("?");
      var query = new URLSearchParams(at < 0 ? "" : address.slice(at + 1));
      query.append(key, value);
      return (at < 0 ? address : address.slice(0, at)) + "?" + query.toString();
    }
    // A feed's import variant (addresses.import_path): a file of the import folder, or its address asking for it.
    function importPath(path) {
      var variant = data["import"];
      return path.indexOf("?") < 0 ? variant.dossier + path : withPair(path, variant.paire[0], variant.paire[1]);
    }
    // « Mon programme »: what an event key is, and the page and feed that hold a choice (addresses.PERSONAL).
    var personal = data.programme;
    var keyPattern = new RegExp("^(?:" + personal.key + ")$");
    function validKeys(values) {
      var found = [];
      values.forEach(function (value) {
        value.split(",").forEach(function (key) { if (keyPattern.test(key) && found.indexOf(key) < 0) { found.push(key); } });
      });
      return found;
    }
    function programmePage(keys) {
      var sorted = validKeys(keys).sort();
      return personal.page + (sorted.length ? "?" + personal.parameter + "=" + sorted.join(",") : "");
    }
    function programmeFeed(keys) { return withPair(personal.feed, personal.parameter, validKeys(keys).sort().join(",")); }
    // Values of one criterion add up (« ou »), criteria combine (« et »); an event's values under each
    // criterion come from the server (selection.CRITERIA: a hybrid event is both « présentiel » and « en ligne »).
    function matches(selection, values) {
      return data.criteres.every(function (criterion) {
        var wanted = selection[criterion.key] || [];
        var have = values[criterion.key] || [];
        return !wanted.length || wanted.some(function (value) { return have.indexOf(value) >= 0; });
      });
    }
    // A composed calendar's name (as text, and as the page shows it) and query, as addresses.parse_selection.
    // A value's label: as the feed names it, or (`page`) as the page writes it.
    function label(criterion, slug, page) {
      var spaced = page && data.nom.libelles[criterion.key] && data.nom.libelles[criterion.key][slug];
      return spaced || criterion.values.filter(function (v) { return v.value === slug; })[0].label;
    }
    function describe(selection) {
      var text = [], shown = [], query = new URLSearchParams();
      data.criteres.forEach(function (criterion) {
        var wanted = (selection[criterion.key] || []).slice().sort();
        if (!wanted.length) { return; }
        text.push(wanted.map(function (slug) { return label(criterion, slug, false); }).join(data.nom.texte.or));
        shown.push(wanted.map(function (slug) { return label(criterion, slug, true); }).join(data.nom.page.or));
        wanted.forEach(function (slug) { query.append(criterion.key, slug); });
      });
      var t = data.nom.texte, p = data.nom.page;
      return {name: t.prefix + (text.join(t.and) || t.all) + t.suffix, shown: p.prefix + (shown.join(p.and) || p.all) + p.suffix,
              query: query.toString()};
    }
    // What the agent types, folded as text.fold folds (the server folds each event's text beforehand):
    // character by character, the server's fold where it differs from lower case, NFKD, marks dropped.
    var marks = new RegExp(folding.marques, "g");
    function fold(text) {
      return Array.from(text, function (c) {
        return own(folding.exceptions, c) ? folding.exceptions[c] : c.toLowerCase().normalize("NFKD").replace(marks, "");
      }).join("");
    }
    function found(words, folded) {
      return fold(words).split(/\s+/).filter(Boolean).every(function (word) { return folded.indexOf(word) >= 0; });
    }
    // An empty choice leads somewhere: what each ticked box, left out, would give (as pages._widen).
    function widened(selection, events) {
      var found = [];
      data.criteres.forEach(function (criterion) {
        (selection[criterion.key] || []).forEach(function (slug) {
          var wider = {};
          Object.keys(selection).forEach(function (key) {
            wider[key] = selection[key].filter(function (v) { return key !== criterion.key || v !== slug; });
          });
          var count = events.filter(function (e) { return matches(wider, e.valeurs); }).length;
          if (count) { found.push({criterion: criterion, slug: slug, label: label(criterion, slug, false), count: count, query: describe(wider).query}); }
        });
      });
      return found;
    }
    return {widened: widened, fill: fill, say: say, encode: encode, subscribeLinks: subscribeLinks, importPath: importPath,
            validKeys: validKeys, programmePage: programmePage, programmeFeed: programmeFeed, matches: matches,
            describe: describe, label: label, fold: fold, found: found};
  }
  if (typeof document === "undefined") { module.exports = rules; return; }  // node, for the tests

  var body = document.body;
  var root = body.getAttribute("data-racine") || "";        // relative way to the feeds folder
  var base = body.getAttribute("data-base") || "";          // the live service's /feeds/ address, if known
  var isStatic = body.hasAttribute("data-statique");
  var STORE = "calfeed-programme";
  var data = JSON.parse(document.getElementById("calfeed-data").textContent);
  var rule = rules(data, {exceptions: {}, marques: "$^"});

  function absolute(relative) { return new URL(relative, location.href).href; }
  // The feeds folder's address: the live service's, or (a static copy served over http) this copy's.
  var feedsAddress = base || (/^https?:$/.test(location.protocol) ? absolute(root || "./") : "");

  // Point every link of a subscribe control at `path` (relative to the feeds folder), named `name`
  // (`shown`: the same as the page writes it, for the screen reader's words).
  function setLinks(block, path, name, shown) {
    var url = feedsAddress + path;
    var links = rule.subscribeLinks(url, name);
    block.setAttribute("data-nom", encodeURIComponent(name));
    block.querySelectorAll("[data-lien]").forEach(function (element) {
      var kind = element.getAttribute("data-lien");
      if (kind === "https") { element.value = url; element.parentNode.hidden = false; return; }
      if (kind === "download") { element.href = url; return; }
      if (kind === "import") { element.href = feedsAddress + rule.importPath(path); return; }
      if (links[kind]) { element.href = links[kind]; }
    });
    if (shown) { block.querySelectorAll("[data-nom-agenda]").forEach(function (span) { span.textContent = shown; }); }
  }

  // A static copy that does not know its public address: fill its subscribe links from where it is served.
  if (feedsAddress) {
    document.querySelectorAll(".abonner [data-a-construire]").forEach(function (list) {
      var block = list.closest(".abonner");
      var name = decodeURIComponent(block.getAttribute("data-nom") || "");
      var download = block.querySelector("a[data-lien=download]");
      if (!download) { return; }
      var links = rule.subscribeLinks(download.href, name);
      list.querySelectorAll("a[data-lien]").forEach(function (link) { link.href = links[link.getAttribute("data-lien")]; });
      list.querySelectorAll(":scope > li").forEach(function (item) { item.hidden = false; });
      var address = block.querySelector("input[data-lien=https]");
      if (address) { address.value = download.href; address.parentNode.hidden = false; }
      var note = block.querySelector(".abonner__sans-adresse");
      if (note) { note.hidden = true; }
    });
    document.querySelectorAll("code[data-integrer]").forEach(function (code) {
      code.textContent = code.textContent.replace(/src="[^"]*"/, 'src="' + absolute(code.getAttribute("data-integrer")) + '"');
    });
    document.querySelectorAll(".code-relatif").forEach(function (warning) { warning.hidden = true; });
  }

  // Copy an address to the clipboard.
  document.querySelectorAll("button.copier").forEach(function (button) { button.hidden = false; });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copier");
    if (!button) { return; }
    var input = document.getElementById(button.getAttribute("data-copie"));
    var status = button.parentNode.querySelector(".copie-faite");
    var done = function () { if (status) { status.textContent = "Adresse copiée."; } };
    input.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  // The events as the pages filter and show them (fetched once, only by the pages that need them).
  var eventsPromise = null;
  function loadEvents() {
    eventsPromise = eventsPromise || fetch(root + data.evenements).then(function (response) { return response.json(); })
      .then(function (file) { rule = rules(data, file.pliage); return file.evenements; });
    return eventsPromise;
  }

  // ---- « Mon programme »: the address carries it; this browser remembers it (no account, no cookie).
  function readStore() {
    try { return rule.validKeys(JSON.parse(localStorage.getItem(STORE) || "[]")); }
    catch (error) { return []; }
  }
  function writeStore(keys) {
    try { localStorage.setItem(STORE, JSON.stringify(keys)); } catch (error) { /* private mode: the address still carries it */ }
    showCount(keys);
  }
  function keysFromAddress() { return rule.validKeys(new URLSearchParams(location.search).getAll(data.programme.parameter)); }
  function programmeHref(keys) { return root + rule.programmePage(keys); }
  function showCount(keys) {
    var link = document.getElementById("lien-programme");
    var count = document.getElementById("nombre-programme");
    if (link) { link.href = programmeHref(keys); }
    // A no-break space: the menu link is a flex box, which drops a plain space at the start of the count.
    if (count) { count.textContent = keys.length ? "\u00a0(" + keys.length + ")" : ""; }
    // On a phone the menu is closed: a bar at the bottom of the screen shows the count and leads to the programme.
    var bar = document.getElementById("barre-programme");
    if (bar) {
      bar.hidden = !keys.length;
      document.getElementById("barre-compte").textContent = rule.say("barre", keys.length);
      document.getElementById("barre-lien").href = programmeHref(keys);
    }
  }
  // What a screen reader hears after a change (a live region present from the start, never hidden).
  function announce(text) {
    var region = document.getElementById("annonce-programme");
    if (region) { region.textContent = ""; setTimeout(function () { region.textContent = text; }, 50); }
  }
  var programme = document.getElementById("programme");
  var mine = readStore();
  if (programme && new URLSearchParams(location.search).has(data.programme.parameter)) {
    mine = keysFromAddress();  // the address wins: it is what the agent kept or was sent
    writeStore(mine);
  }
  showCount(mine);

  // `title` as the page writes it (French-spaced).
  function toggle(key, wanted, title) {
    mine = readStore();
    var at = mine.indexOf(key);
    if (wanted && at < 0) { mine.push(key); }
    if (!wanted && at >= 0) { mine.splice(at, 1); }
    writeStore(mine);
    if (title) { announce(rule.say(wanted ? "ajoute" : "retire", mine.length, {titre: title})); }
  }

  // Event page: add or remove this event, without leaving the page.
  var add = document.getElementById("ajouter-programme");
  var remove = document.getElementById("retirer-programme");
  if (add && remove) {
    var key = add.getAttribute("data-cle");
    var status = document.getElementById("etat-programme");
    var show = function (focus) {
      var inside = mine.indexOf(key) >= 0;
      add.hidden = inside;
      remove.hidden = !inside;
      add.href = programmeHref(mine.concat([key]));
      remove.href = programmeHref(mine.filter(function (k) { return k !== key; }));
      var voir = document.getElementById("voir-programme");
      if (voir) { voir.href = programmeHref(mine); }
      status.textContent = rule.say(inside ? "dans" : "hors", mine.length);
      if (focus) { (inside ? remove : add).focus(); }
    };
    // An address that carries a programme (from « Mon programme ») joins what this browser remembers.
    keysFromAddress().forEach(function (k) { if (mine.indexOf(k) < 0) { mine.push(k); } });
    writeStore(mine);
    show(false);
    add.addEventListener("click", function (event) { event.preventDefault(); toggle(key, true); show(true); });
    remove.addEventListener("click", function (event) { event.preventDefault(); toggle(key, false); show(true); });
  }

  // ---- Criteria, as the server's table gives them.
  function chosen(form) {
    var result = {};
    form.querySelectorAll("fieldset input[type=checkbox]:checked").forEach(function (box) {
      (result[box.name] = result[box.name] || []).push(box.value);
    });
    return result;
  }
  function selectionFromAddress(form) {
    var params = new URLSearchParams(location.search);
    form.querySelectorAll("fieldset input[type=checkbox]").forEach(function (box) {
      if (params.getAll(box.name).some(function (v) { return v.split(",").indexOf(box.value) >= 0; })) { box.checked = true; }
    });
  }

  // An empty choice leads somewhere: links to what each ticked box, left out, would give.
  function widen(selection, count, events) {
    var list = document.getElementById("elargir");
    if (!list) { return; }
    list.textContent = "";
    (count === 0 ? rule.widened(selection, events) : []).forEach(function (wider) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "constructeur.html" + (wider.query ? "?" + wider.query : "");
      link.textContent = rule.say("sans", wider.count, {label: rule.label(wider.criterion, wider.slug, true)});
      if (isStatic) {  // a static host ignores the query: tick the boxes here
        link.addEventListener("click", function (event) {
          event.preventDefault();
          document.getElementById(wider.criterion.key + "-" + wider.slug).checked = false;
          builder.dispatchEvent(new Event("change"));
          if (history.replaceState) { history.replaceState(null, "", link.href); }
        });
      }
      item.appendChild(link);
      list.appendChild(item);
    });
    list.hidden = !list.children.length;
  }

  // ---- Builder: count, name, subscribe links and preview change together as boxes are ticked.
  var builder = document.getElementById("constructeur");
  if (builder && data.criteres) {
    if (isStatic) { selectionFromAddress(builder); }
    loadEvents().then(function (events) {
      var result = document.getElementById("resultat");
      var prefix = result.getAttribute("data-prefixe") || feedsAddress;
      var block = document.querySelector("#abonnement-selection .abonner");
      var update = function () {
        var selection = chosen(builder);
        var found = events.filter(function (e) { return rule.matches(selection, e.valeurs); });
        var described = rule.describe(selection);
        document.getElementById("compte").textContent = rule.say("correspondent", found.length);
        document.getElementById("nom-agenda").textContent = described.shown;
        if (block && prefix) {
          setLinks(block, "selection.ics" + (described.query ? "?" + described.query : ""), described.name, described.shown);
        }
        document.getElementById("abonnement-selection").hidden = !block || !prefix || found.length === 0;
        document.getElementById("agenda-vide").hidden = found.length !== 0;
        widen(selection, found.length, events);
        var preview = document.getElementById("apercu");
        preview.textContent = "";
        found.slice(0, 5).forEach(function (e) {
          var item = document.createElement("li");
          var link = document.createElement("a");
          link.href = root + e.page;
          link.textContent = e.titre;
          item.appendChild(link);
          item.appendChild(document.createTextNode(" — " + e.quand));
          preview.appendChild(item);
        });
        document.getElementById("titre-apercu").hidden = found.length === 0;
      };
      builder.addEventListener("change", update);
      if (isStatic) { update(); }
    }).catch(function () { /* keep the plain form */ });
  }

  // ---- Event list: filter in place; the ticks are « Mon programme ».
  var filters = document.getElementById("filtres");
  if (filters && data.criteres) {
    var items = Array.prototype.slice.call(document.querySelectorAll("#choix li.evenement"));
    var counter = document.getElementById("compte-evenements");
    loadEvents().then(function (events) {
      var byKey = {};
      events.forEach(function (e) { byKey[e.cle] = e; });
      var refresh = function () {
        var selection = chosen(filters);
        var words = filters.querySelector("#q").value || "";
        var shown = 0;
        items.forEach(function (item) {
          var e = byKey[item.getAttribute("data-cle")];
          var visible = !e || (rule.matches(selection, e.valeurs) && rule.found(words, e.texte));
          item.hidden = !visible;
          if (visible) { shown += 1; }
        });
        counter.textContent = rule.say("liste", shown, {total: items.length});
        document.getElementById("aucun-evenement").hidden = shown > 0;
      };
      if (isStatic) {
        selectionFromAddress(filters);
        var words = new URLSearchParams(location.search).get("q");
        if (words) { filters.querySelector("#q").value = words; }
        refresh();
        // A static host ignores the query: filter here instead of reloading an unfiltered page.
        filters.addEventListener("submit", function (event) { event.preventDefault(); refresh(); });
      }
      filters.addEventListener("change", refresh);
      filters.addEventListener("input", refresh);
    }).catch(function () { /* the form still asks the server */ });
    var choice = document.getElementById("choix");
    choice.querySelectorAll("input[name=e]").forEach(function (box) {
      if (mine.indexOf(box.value) >= 0) { box.checked = true; }
      box.addEventListener("change", function () {
        var title = box.closest("li").querySelector(".evenement__titre");
        toggle(box.value, box.checked, title ? title.textContent.trim() : "");
      });
    });
    choice.addEventListener("submit", function (event) {
      event.preventDefault();
      location.href = programmeHref(readStore());
    });
  }

  // The programme's own address, to keep or send (it carries the choice).
  function sharing() {
    var field = document.getElementById("adresse-partage");
    if (field && /^https?:$/.test(location.protocol)) {
      field.value = location.href;
      field.closest(".partage").hidden = !readStore().length && !keysFromAddress().length;
    }
  }

  // ---- « Mon programme » page.
  if (programme) {
    var fromPage = (programme.getAttribute("data-cles") || "").split(",").filter(Boolean);
    if (!isStatic && !keysFromAddress().length && mine.length) {
      location.replace(programmeHref(mine));  // the server writes the page for the remembered choice
      return;
    }
    if (isStatic && !mine.length && !fromPage.length) {
      // The static copy writes this line hidden: without this script it cannot tell an empty programme.
      document.getElementById("programme-vide").hidden = false;
    }
    var lines = document.getElementById("lignes-programme");  // every event's line, as the server writes it
    if (isStatic && mine.length && !fromPage.length && lines) {
      var render = function (focusAfter) {
        var list = document.getElementById("programme-liste");
        list.textContent = "";
        lines.content.querySelectorAll("li.evenement").forEach(function (line) {
          var key = line.getAttribute("data-cle");
          if (mine.indexOf(key) < 0) { return; }
          var item = line.cloneNode(true);
          var title = item.querySelector(".evenement__titre").textContent.trim();
          item.querySelector(".retirer").addEventListener("click", function (event) {
            event.preventDefault();
            toggle(key, false, title);
            render(true);
          });
          list.appendChild(item);
        });
        var count = list.children.length;
        document.getElementById("programme-vide").hidden = count > 0;
        document.getElementById("programme-plein").hidden = count === 0;
        document.getElementById("programme-compte").textContent = rule.say("garde", count);
        var block = document.querySelector("#abonnement-programme .abonner");
        if (block && base && count) {
          setLinks(block, rule.programmeFeed(mine), decodeURIComponent(block.getAttribute("data-nom")));
          document.getElementById("abonnement-programme").hidden = false;
        }
        // The address follows the choice: a reload, a bookmark or a shared link shows this programme.
        if (history.replaceState) { history.replaceState(null, "", programmeHref(mine)); }
        sharing();
        if (focusAfter) {  // the removed line is gone: focus goes to what the page now says
          var said = document.getElementById(count ? "programme-compte" : "programme-vide");
          said.setAttribute("tabindex", "-1");
          said.focus();
        }
      };
      render(false);
    }
    sharing();
  }
})();
