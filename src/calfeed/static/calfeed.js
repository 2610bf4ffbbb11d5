// calfeed — enhancements; every page works without this script. The selection rules are not
// written here: pages give them as data (<script id="criteres">, built from the server's own table).
(function () {
  "use strict";

  var body = document.body;
  var root = body.getAttribute("data-racine") || "";        // relative way to the feeds folder
  var base = body.getAttribute("data-base") || "";          // the live service's /feeds/ address, if known
  var isStatic = body.hasAttribute("data-statique");
  var STORE = "calfeed-programme";

  // French spacing for text the script writes, as the server's `fr` filter does for the pages.
  function french(text) {
    return text.replace(/ ([;!?])/g, "\u202f$1").replace(/ :/g, "\u00a0:")
      .replace(/« /g, "«\u00a0").replace(/ »/g, "\u00a0»");
  }

  function absolute(relative) { return new URL(relative, location.href).href; }
  // The feeds folder's address: the live service's, or (a static copy served over http) this copy's.
  var feedsAddress = base || (/^https?:$/.test(location.protocol) ? absolute(root || "./") : "");

  // How each calendar client subscribes is not written here either: the page gives the server's own
  // templates (links.CLIENTS, <script id="clients">), filled as the server fills them (links.fill).
  var clientsData = document.getElementById("clients");
  var CLIENTS = clientsData ? JSON.parse(clientsData.textContent) : [];
  // Percent-encoding as Python's quote(value, safe=""): encodeURIComponent leaves ! ' ( ) * as they are.
  function encode(value) {
    return encodeURIComponent(value).replace(/[!'()*]/g, function (c) { return "%" + c.charCodeAt(0).toString(16).toUpperCase(); });
  }
  function subscribeLinks(url, name) {
    var values = {url: url, host_path: url.replace(/^[^:\/]*:\/\//, ""), name: name};
    var links = {https: url};
    CLIENTS.forEach(function (client) {
      links[client.key] = client.template.replace(/\{(url|host_path|name)(_q)?\}/g, function (found, key, encoded) {
        return encoded ? encode(values[key]) : values[key];
      });
    });
    return links;
  }

  // Point every link of a subscribe control at `url` (path relative to the feeds folder) and `name`.
  function setLinks(block, path, name) {
    var url = feedsAddress + path;
    var links = subscribeLinks(url, name);
    block.setAttribute("data-name", name);
    block.querySelectorAll("[data-lien]").forEach(function (element) {
      var kind = element.getAttribute("data-lien");
      if (kind === "https") { element.value = url; element.parentNode.hidden = false; return; }
      if (kind === "download") { element.href = url; return; }
      if (kind === "import") { element.href = url + (url.indexOf("?") < 0 ? "?" : "&") + "usage=import"; return; }
      if (links[kind]) { element.href = links[kind]; }
    });
    block.querySelectorAll(".fr-sr-only").forEach(function (hidden) {
      // The page's spaces inside « » and before « : » are no-break ones (\s matches them too).
      hidden.textContent = hidden.textContent.replace(/«\s.*\s»|:\s.*$/, function (found) {
        return french(found.charAt(0) === "«" ? "« " + name + " »" : ": " + name);
      });
    });
  }

  // A static copy that does not know its public address: fill its subscribe links from where it is served.
  if (feedsAddress) {
    document.querySelectorAll(".abonner [data-a-construire]").forEach(function (list) {
      var block = list.closest(".abonner");
      // The page's French spacing is for reading; a calendar is named as the feed names itself.
      var name = (block.getAttribute("data-name") || "").replace(/[\u00a0\u202f]/g, " ");
      var download = block.querySelector("a[data-lien=download]");
      if (!download) { return; }
      var links = subscribeLinks(download.href, name);
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

  // ---- « Mon programme »: the address carries it; this browser remembers it (no account, no cookie).
  function readStore() {
    try { return JSON.parse(localStorage.getItem(STORE) || "[]").filter(function (k) { return /^[0-9a-f]{12}$/.test(k); }); }
    catch (error) { return []; }
  }
  function writeStore(keys) {
    try { localStorage.setItem(STORE, JSON.stringify(keys)); } catch (error) { /* private mode: the address still carries it */ }
    showCount(keys);
  }
  function keysFromAddress() {
    var found = [];
    new URLSearchParams(location.search).getAll("e").forEach(function (value) {
      value.split(",").forEach(function (key) { if (/^[0-9a-f]{12}$/.test(key) && found.indexOf(key) < 0) { found.push(key); } });
    });
    return found;
  }
  function programmeHref(keys) { return root + "mon-programme.html" + (keys.length ? "?e=" + keys.slice().sort().join(",") : ""); }
  function counted(count) { return count + " événement" + (count > 1 ? "s" : "") + " choisi" + (count > 1 ? "s" : ""); }
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
      document.getElementById("barre-compte").textContent = "Mon programme : " + counted(keys.length) + ".";
      document.getElementById("barre-lien").href = programmeHref(keys);
    }
  }
  // What a screen reader hears after a change (a live region present from the start, never hidden).
  function announce(text) {
    var region = document.getElementById("annonce-programme");
    if (region) { region.textContent = ""; setTimeout(function () { region.textContent = french(text); }, 50); }
  }
  var programme = document.getElementById("programme");
  var mine = readStore();
  if (programme && location.search.indexOf("e=") >= 0) {
    mine = keysFromAddress();  // the address wins: it is what the agent kept or was sent
    writeStore(mine);
  }
  showCount(mine);

  function toggle(key, wanted, title) {
    mine = readStore();
    var at = mine.indexOf(key);
    if (wanted && at < 0) { mine.push(key); }
    if (!wanted && at >= 0) { mine.splice(at, 1); }
    writeStore(mine);
    if (title) {
      announce((wanted ? "Ajouté à votre programme : " : "Retiré de votre programme : ") + title + ". " + counted(mine.length) + ".");
    }
  }

  // Event page: add or remove this event, without leaving the page.
  var add = document.getElementById("ajouter-programme");
  var remove = document.getElementById("retirer-programme");
  if (add && remove) {
    var key = add.getAttribute("data-cle");
    var status = document.getElementById("etat-programme");
    var show = function (announce) {
      var inside = mine.indexOf(key) >= 0;
      add.hidden = inside;
      remove.hidden = !inside;
      add.href = programmeHref(mine.concat(inside ? [] : [key]));
      remove.href = programmeHref(mine.filter(function (k) { return k !== key; }));
      var voir = document.getElementById("voir-programme");
      if (voir) { voir.href = programmeHref(mine); }
      status.textContent = (inside ? "Cet événement est dans votre programme" : "Cet événement n'est pas dans votre programme") +
        " (" + mine.length + " événement" + (mine.length > 1 ? "s" : "") + " choisi" + (mine.length > 1 ? "s" : "") + ").";
      if (announce) { (inside ? remove : add).focus(); }
    };
    // An address that carries a programme (from « Mon programme ») joins what this browser remembers.
    keysFromAddress().forEach(function (k) { if (mine.indexOf(k) < 0) { mine.push(k); } });
    writeStore(mine);
    show(false);
    add.addEventListener("click", function (event) { event.preventDefault(); toggle(key, true); show(true); });
    remove.addEventListener("click", function (event) { event.preventDefault(); toggle(key, false); show(true); });

  }

  // ---- Criteria, as the server's table gives them.
  var table = document.getElementById("criteres");
  var data = table ? JSON.parse(table.textContent) : null;

  function chosen(form) {
    var result = {};
    form.querySelectorAll("fieldset input[type=checkbox]:checked").forEach(function (box) {
      (result[box.name] = result[box.name] || []).push(box.value);
    });
    return result;
  }
  // Values of one criterion add up (« ou »), criteria combine (« et »); which event values a box
  // accepts comes from the table (a hybrid event counts as « présentiel » and « en ligne »).
  function matches(selection, valuesOf) {
    return data.criteres.every(function (criterion) {
      var wanted = selection[criterion.key];
      if (!wanted || !wanted.length) { return true; }
      var have = valuesOf(criterion);
      return criterion.values.some(function (value) {
        return wanted.indexOf(value.value) >= 0 && value.accepts.some(function (a) { return have.indexOf(a) >= 0; });
      });
    });
  }
  function field(event, path) {
    var value = path.split(".").reduce(function (object, part) { return object ? object[part] : undefined; }, event);
    return Array.isArray(value) ? value : (value ? [value] : []);
  }
  function describe(selection) {
    var parts = [], query = [];
    data.criteres.forEach(function (criterion) {
      var wanted = (selection[criterion.key] || []).slice().sort();
      if (!wanted.length) { return; }
      parts.push(wanted.map(function (slug) {
        return criterion.values.filter(function (v) { return v.value === slug; })[0].label;
      }).join(data.nom.or));
      wanted.forEach(function (slug) { query.push(criterion.key + "=" + encodeURIComponent(slug)); });
    });
    return { name: data.nom.prefix + (parts.join(data.nom.and) || data.nom.all) + data.nom.suffix, query: query.join("&") };
  }
  function selectionFromAddress(form) {
    var params = new URLSearchParams(location.search);
    form.querySelectorAll("fieldset input[type=checkbox]").forEach(function (box) {
      if (params.getAll(box.name).some(function (v) { return v.split(",").indexOf(box.value) >= 0; })) { box.checked = true; }
    });
  }
  function sentence(count) {
    if (count === 0) { return "Aucun événement ne correspond encore à ces critères."; }
    return count + (count === 1 ? " événement correspond" : " événements correspondent") + " à ces critères.";
  }
  function loadEvents() {
    return fetch(root + "tous.json").then(function (response) { return response.json(); })
      .then(function (feed) { return feed.evenements; });
  }
  function eventKey(event) { var m = /([0-9a-f]{12})\.html$/.exec(event.page); return m ? m[1] : ""; }

  // An empty choice leads somewhere: what each ticked box, left out, would give (as pages.py's _widen).
  function widen(selection, count, events) {
    var list = document.getElementById("elargir");
    if (!list) { return; }
    list.textContent = "";
    if (count === 0) {
      data.criteres.forEach(function (criterion) {
        (selection[criterion.key] || []).forEach(function (slug) {
          var wider = {};
          Object.keys(selection).forEach(function (key) {
            wider[key] = selection[key].filter(function (v) { return key !== criterion.key || v !== slug; });
          });
          var n = events.filter(function (e) { return matches(wider, function (c) { return field(e, c.field); }); }).length;
          if (!n) { return; }
          var item = document.createElement("li");
          var link = document.createElement("a");
          var query = describe(wider).query;
          link.href = "constructeur.html" + (query ? "?" + query : "");
          var label = criterion.values.filter(function (v) { return v.value === slug; })[0].label;
          link.textContent = french("Sans « " + label + " » : " + n + " événement" + (n > 1 ? "s" : ""));
          if (isStatic) {  // a static host ignores the query: tick the boxes here
            link.addEventListener("click", function (event) {
              event.preventDefault();
              var box = document.getElementById(criterion.key + "-" + slug);
              box.checked = false;
              builder.dispatchEvent(new Event("change"));
              if (history.replaceState) { history.replaceState(null, "", link.href); }
            });
          }
          item.appendChild(link);
          list.appendChild(item);
        });
      });
    }
    list.hidden = !list.children.length;
  }

  // ---- Builder: count, name, subscribe links and preview change together as boxes are ticked.
  var builder = document.getElementById("constructeur");
  if (builder && data) {
    if (isStatic) { selectionFromAddress(builder); }
    loadEvents().then(function (events) {
      var result = document.getElementById("resultat");
      var prefix = result.getAttribute("data-prefixe") || feedsAddress;
      var block = document.querySelector("#abonnement-selection .abonner");
      var update = function () {
        var selection = chosen(builder);
        var found = events.filter(function (e) { return matches(selection, function (c) { return field(e, c.field); }); });
        var described = describe(selection);
        document.getElementById("compte").textContent = sentence(found.length);
        document.getElementById("nom-agenda").textContent = french(described.name);
        if (block && prefix) {
          setLinks(block, "selection.ics" + (described.query ? "?" + described.query : ""), described.name);
        }
        document.getElementById("abonnement-selection").hidden = !block || !prefix || found.length === 0;
        document.getElementById("agenda-vide").hidden = found.length !== 0;
        widen(selection, found.length, events);
        var preview = document.getElementById("apercu");
        preview.textContent = "";
        found.slice(0, 5).forEach(function (e) {
          var item = document.createElement("li");
          var link = document.createElement("a");
          link.href = e.page;
          link.textContent = french(e.titre);
          item.appendChild(link);
          item.appendChild(document.createTextNode(" — " + french(e.quand)));
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
  if (filters && data) {
    var items = Array.prototype.slice.call(document.querySelectorAll("#choix li.evenement"));
    var counter = document.getElementById("compte-evenements");
    var fold = function (text) { return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""); };
    var refresh = function () {
      var selection = chosen(filters);
      var words = fold(filters.querySelector("#q").value || "").split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item) {
        var text = fold(item.textContent);
        var visible = matches(selection, function (c) { return (item.getAttribute("data-" + c.key) || "").split(" "); }) &&
          words.every(function (w) { return text.indexOf(w) >= 0; });
        item.hidden = !visible;
        if (visible) { shown += 1; }
      });
      counter.textContent = shown + " événement" + (shown > 1 ? "s" : "") + " sur " + items.length + ".";
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
    if (isStatic && mine.length && !fromPage.length) {
      loadEvents().then(function (events) {
        var render = function (focusAfter) {
          var chosenEvents = events.filter(function (e) { return mine.indexOf(eventKey(e)) >= 0; });
          document.getElementById("programme-vide").hidden = chosenEvents.length > 0;
          document.getElementById("programme-plein").hidden = chosenEvents.length === 0;
          document.getElementById("programme-compte").textContent = french(counted(chosenEvents.length) +
            ". Votre choix est gardé par ce navigateur et dans l'adresse de cette page.");
          var list = document.getElementById("programme-liste");
          list.textContent = "";
          chosenEvents.forEach(function (e) {
            var item = document.createElement("li");
            item.className = "evenement";
            var title = document.createElement("h3");
            title.className = "evenement__titre";
            var link = document.createElement("a");
            link.href = e.page;
            link.textContent = french(e.titre);
            title.appendChild(link);
            var when = document.createElement("p");
            when.className = "evenement__quand";
            when.textContent = french(e.quand);
            var drop = document.createElement("button");
            drop.type = "button";
            drop.className = "fr-btn fr-btn--sm fr-btn--tertiary-no-outline fr-btn--icon-left fr-icon-close-line retirer";
            drop.setAttribute("data-cle", eventKey(e));
            var named = document.createElement("span");  // as on the live page: the title for screen readers
            named.className = "fr-sr-only";
            named.textContent = french(" : " + e.titre);  // a title may hold « »: never nest them
            drop.append("Retirer de mon programme", named);  // one text run: a flex button drops edge spaces
            drop.addEventListener("click", function () {
              toggle(eventKey(e), false, e.titre);
              render(true);
            });
            item.appendChild(title);
            item.appendChild(when);
            item.appendChild(drop);
            list.appendChild(item);
          });
          var block = document.querySelector("#abonnement-programme .abonner");
          if (block && base && chosenEvents.length) {
            setLinks(block, "mon-programme.ics?e=" + mine.slice().sort().join(","), block.getAttribute("data-name"));
            document.getElementById("abonnement-programme").hidden = false;
          }
          // The address follows the choice: a reload, a bookmark or a shared link shows this programme.
          if (history.replaceState) { history.replaceState(null, "", programmeHref(mine)); }
          sharing();
          if (focusAfter) {  // the removed button is gone: focus goes to what the page now says
            var said = document.getElementById(chosenEvents.length ? "programme-compte" : "programme-vide");
            said.setAttribute("tabindex", "-1");
            said.focus();
          }
        };
        render(false);
      });
    }
    sharing();
  }
})();
