// The openhear page: view switching, remembered display settings, and each view's set-up.
import { setupAlerts } from "./alerts-view.js";
import { setupAmplifier } from "./amplifier-view.js";
import { setupCalls } from "./calls-view.js";
import { setupCaptions } from "./captions-view.js";
import { setupBanner } from "./connection.js";
import { setupConversation } from "./conversation-view.js";
import { setupHearingCheck } from "./hearing-check-view.js";
import { setupProfile } from "./profile-view.js";
import { setupSpeak } from "./speak-view.js";

const VIEWS = ["captions", "speak", "conversation", "calls", "profile", "hearing", "amplifier", "alerts"];


function showView(name) {
  const view = VIEWS.includes(name) ? name : "captions";
  for (const v of VIEWS) document.getElementById(`view-${v}`).hidden = v !== view;
  for (const link of document.querySelectorAll(".views a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${document.querySelector(`#view-${view} h1`).textContent} – openhear`;
  document.dispatchEvent(new CustomEvent("openhear:view", { detail: view }));
}

function setupDisplaySettings() {
  const size = document.getElementById("text-size");
  const sizeValue = document.getElementById("text-size-value");
  const theme = document.getElementById("theme");
  const apply = () => {
    document.documentElement.style.setProperty("--text-scale", String(size.value / 100));
    sizeValue.textContent = `${size.value} %`;
    document.documentElement.dataset.theme = theme.value;
    localStorage.setItem("openhear.textSize", size.value);
    localStorage.setItem("openhear.theme", theme.value);
  };
  // Wide screens show the settings; small ones keep them folded under one button.
  document.getElementById("display-menu").open = matchMedia("(min-width: 60rem)").matches;
  size.value = localStorage.getItem("openhear.textSize") || "100";
  const saved = localStorage.getItem("openhear.theme");
  if (saved && [...theme.options].some((o) => o.value === saved)) theme.value = saved;
  size.addEventListener("input", apply);
  theme.addEventListener("change", apply);
  apply();
}

function start() {
  // A token in the address has been turned into a cookie by the server: hide it from the address bar.
  if (new URLSearchParams(location.search).has("token")) history.replaceState(null, "", `/${location.hash}`);
  setupDisplaySettings();
  setupBanner();
  setupCaptions();
  const conversation = setupConversation();
  setupSpeak(conversation);
  setupCalls();
  setupProfile();
  setupHearingCheck();
  setupAmplifier();
  setupAlerts();
  window.addEventListener("hashchange", () => {
    const name = location.hash.slice(1);
    if (!VIEWS.includes(name)) return; // not a view (an old #main link): stay where we are
    showView(name);
    document.getElementById("main").focus();
  });
  // The skip link goes to the current view's content; it is not a route.
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    document.getElementById("main").focus();
  });
  showView(location.hash.slice(1));
  document.documentElement.dataset.ready = "true";
}

start();
