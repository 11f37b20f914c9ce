"""Drives the live debug view in headless Chromium (Debian's chromium and chromium-driver,
selenium from PyPI): opens BASE_URL/debug, enters the admin token and a test code, prints
READY once the page is watching, then waits until a row for EXPECTED_MESSAGE_ID shows
`delivered`. Prints one JSON line with the rows seen and whether RAW_EMAIL appears anywhere
in the page. With SCREENSHOT set, saves a picture of the page there.

usage: debug_view_browser.py BASE_URL ADMIN_TOKEN TEST_CODE EXPECTED_MESSAGE_ID RAW_EMAIL
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base_url, token, code, expected, raw_email = sys.argv[1:6]
options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,700"):
    options.add_argument(flag)
options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
try:
    driver.get(base_url + "/debug")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "code").send_keys(code)
    driver.find_element(By.ID, "start").click()
    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "watching")
    print("READY", flush=True)

    def delivered(d):
        for row in d.find_elements(By.CSS_SELECTOR, "#events tr"):
            if row.get_attribute("data-message-id") == expected and row.get_attribute("data-outcome") == "delivered":
                return True
        return False

    WebDriverWait(driver, 60).until(delivered)
    time.sleep(0.2)
    if os.environ.get("SCREENSHOT"):
        driver.save_screenshot(os.environ["SCREENSHOT"])
    rows = [
        {"message_id": row.get_attribute("data-message-id"), "outcome": row.get_attribute("data-outcome"),
         "text": row.text}
        for row in driver.find_elements(By.CSS_SELECTOR, "#events tr")
    ]
    page = driver.page_source + driver.find_element(By.TAG_NAME, "body").text
    print(json.dumps({"rows": rows, "raw_email_found": raw_email.lower() in page.lower(), "status": driver.find_element(By.ID, "status").text}))
finally:
    driver.quit()
